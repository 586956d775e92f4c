-- Counts response statuses in every wrk thread and prints the totals when the run ends.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + count
    end
  end
  local line = "statuses:"
  for status, count in pairs(total) do
    line = line .. string.format(" %d=%d", status, count)
  end
  io.write(line .. string.format(" socket-errors=%d\n", summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
