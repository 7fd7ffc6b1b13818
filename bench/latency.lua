-- wrk script: after the run, print the latency percentiles that --latency does not (it stops at
-- 99%), from wrk's own full histogram, in microseconds, one a line: "latency_us p99.9 123456".
-- bench/tools/wrk.mjs reads them (parseWrk: p999_ms).
done = function(summary, latency, requests)
  for _, p in ipairs({ 50, 90, 99, 99.9, 99.99 }) do
    io.write(string.format("latency_us p%g %d\n", p, latency:percentile(p)))
  end
  io.write(string.format("latency_us max %d\n", latency.max))
end
