-- wrk script of the surge load test (scripts/bench/surge.sh): each request is a random one of
-- the logged-in teachers listed in the file given after `--` (lines "token teacher_id").
-- Modes: progress (API), home (HTML, cookie session), declarations (API list), pk and hello
-- (the floors, served by `xueshi bench floor`).

local mode, year
local tokens, ids = {}, {}

function init(args)
  mode, year = args[1], args[3]
  for line in io.lines(args[2]) do
    local token, id = line:match("^(%S+) (%S+)$")
    if token then
      tokens[#tokens + 1] = token
      ids[#ids + 1] = id
    end
  end
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end

function request()
  local i = math.random(#tokens)
  if mode == "progress" then
    return wrk.format("GET", "/api/v1/teachers/" .. ids[i] .. "/progress?year=" .. year,
      { ["Authorization"] = "Bearer " .. tokens[i] })
  elseif mode == "home" then
    return wrk.format("GET", "/home", { ["Cookie"] = "xueshi_session=" .. tokens[i] })
  elseif mode == "declarations" then
    return wrk.format("GET", "/api/v1/declarations?year=" .. year,
      { ["Authorization"] = "Bearer " .. tokens[i] })
  elseif mode == "pk" then
    return wrk.format("GET", "/pk/" .. ids[i])
  else
    return wrk.format("GET", "/hello")
  end
end

-- Runs in wrk's main state, where `init` never ran: the caller knows the mode.
function done(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.timeout + e.status
  io.write(string.format("RESULT %.0f %.1f %d %d\n",
    summary.requests / (summary.duration / 1000000), latency:percentile(99) / 1000,
    errors, summary.requests))
end
