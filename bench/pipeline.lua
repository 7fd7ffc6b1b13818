-- wrk script: send `depth` requests in one write and wait for all of them (HTTP/1.1 pipelining).
-- usage: wrk -s bench/pipeline.lua http://127.0.0.1:8080/ -- 16
-- wrk counts every response as a request; its latency is per batch of `depth`.

init = function(args)
  local depth = tonumber(args[1]) or 16
  local r = {}
  for i = 1, depth do
    r[i] = wrk.format(nil)
  end
  req = table.concat(r)
end

request = function()
  return req
end
