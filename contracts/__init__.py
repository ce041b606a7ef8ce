"""Input, result and request types shared by workflows, activities and the API (one module per workflow)."""
