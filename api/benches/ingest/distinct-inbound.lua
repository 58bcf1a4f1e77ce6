-- wrk's form of the ingest check: every request a distinct inbound message, new to the log.
--
--   wrk -t2 -c32 -d10s --latency -s api/benches/ingest/distinct-inbound.lua \
--     'http://127.0.0.1:PORT/webhooks/mobiniti/inbound-message?token=TOKEN'
--
-- BENCHMARKS.md ("The wrk form") gives the whole procedure, the no-store handler included.
-- Each thread numbers its requests from its own range, offset by the clock, so that two runs
-- against one store do not send each other's messages again (a redelivery costs less).

local threads = 0

function setup(thread)
  thread:set("first", (os.time() % 100000) * 10000000 + threads * 1000000)
  threads = threads + 1
end

function init(args)
  n = first
end

function request()
  n = n + 1
  local contact = n % 10000
  local body = string.format(
    '{"id":"c%08d-a4b1-11e8-a85f-127fd0971098","first_name":"Name%d","last_name":null,' ..
    '"email":null,"phone_number":"+1202555%04d","created_at":"2024-01-01T00:00:00.000Z",' ..
    '"updated_at":"2025-01-01T00:00:00.000Z","short_code":"64600",' ..
    '"message":"Reply %d: see you on Saturday?","unsubscribed_at":null,' ..
    '"received_at":"2025-01-01T00:00:00.000Z"}',
    contact, contact, contact, n)
  return wrk.format("POST", nil, { ["Content-Type"] = "application/json" }, body)
end

function done(summary, latency, requests)
  local bad = summary.errors.status + summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout
  io.write(string.format("not answered 2xx: %d\n", bad))
end
