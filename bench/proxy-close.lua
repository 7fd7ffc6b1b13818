-- wrk script: a new connection per request (Connection: close), each starting with a PROXY v1
-- header, for a server with proxyProtocol on. Without the header line it is bench/close.lua.
wrk.headers["Connection"] = "close"
local req
local calls = 0
-- wrk checks the first request it is given against its HTTP parser: that one is plain. The rest are
-- made once, after wrk has set the Host header. (Each thread starts with a plain one too: one
-- connection a thread is closed unanswered.)
request = function()
  calls = calls + 1
  if calls == 1 then return wrk.format(nil, "/") end
  req = req or ("PROXY TCP4 192.0.2.7 10.0.0.1 1234 80\r\n" .. wrk.format(nil, "/"))
  return req
end
