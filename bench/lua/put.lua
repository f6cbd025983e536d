-- bench/lua/put.lua - wrk script: PUT profile with a small change.
--
--   wrk ... -H "Authorization: Bearer TOKEN" -s bench/lua/put.lua URL
--
-- Each request sends a partial userProfile (JSON) to the URL's path that
-- changes the job title, cycling through 64 values, so every PUT is a real
-- update (profiled also moves userProfileLastModifiedDate on each one).
-- Bodies are formatted once per thread in init(); headers given with -H
-- (the bearer token) are kept.

local requests = {}
local n = 0

function init(args)
   local headers = {}
   for k, v in pairs(wrk.headers) do
      headers[k] = v
   end
   headers["Content-Type"] = "application/json"
   for i = 1, 64 do
      local body = string.format(
         '{"title":"Contracts Engineer %d","userDetails":{"jobTitle":"Contracts Engineer %d"}}', i, i)
      requests[i] = wrk.format("PUT", nil, headers, body)
   end
end

function request()
   n = n + 1
   return requests[(n % #requests) + 1]
end
