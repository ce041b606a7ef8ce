"""Resource dependencies, one module a kind (cycle, application, meeting, award, case,
document): each loads the resource a route names in its path and authorises the caller for it —
404 when it does not exist *for this caller*, 403 when the caller's role or seat may never act on
it — so a route is its gate, this dependency and one call (../shared/STYLE.md)."""
