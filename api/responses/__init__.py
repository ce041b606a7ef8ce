"""Response models, one module a router: what each route returns, so the OpenAPI schema tells a
client exactly what it gets (and FastAPI drops anything a route would return by mistake)."""
