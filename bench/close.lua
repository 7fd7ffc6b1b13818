-- wrk script: a new connection per request (Connection: close), as a load balancer without
-- keep-alive to its backends opens them; bench/proxy-close.lua adds a PROXY header to each.
wrk.headers["Connection"] = "close"
