-- bench/lua/random.lua - wrk script: GET profile of a random user per request.
--
--   wrk ... -s bench/lua/random.lua http://127.0.0.1:PORT -- TRIPLES [PREFIX]
--
-- TRIPLES is a file of "accountId userId token" lines (tokens minted with
-- `profiled token`); each request picks one line at random and asks for
-- PREFIX/accounts/{accountId}/users/{userId}/profile (PREFIX defaults to
-- /restapi/v2.1) with that user's bearer token.  The requests are formatted
-- once per thread in init(), so request() costs one table lookup.
-- Headers given to wrk with -H (e.g. Accept) are kept.

local requests = {}
local thread_no = 0

function setup(thread)
   thread:set("tid", thread_no)
   thread_no = thread_no + 1
end

function init(args)
   local file = args[1]
   local prefix = args[2] or "/restapi/v2.1"
   if file == nil then
      error("random.lua: usage: -- TRIPLES_FILE [PREFIX]")
   end
   for line in io.lines(file) do
      local acc, uid, tok = line:match("^(%S+)%s+(%S+)%s+(%S+)%s*$")
      if acc then
         local headers = {}
         for k, v in pairs(wrk.headers) do
            headers[k] = v
         end
         headers["Authorization"] = "Bearer " .. tok
         local path = prefix .. "/accounts/" .. acc .. "/users/" .. uid .. "/profile"
         requests[#requests + 1] = wrk.format("GET", path, headers)
      end
   end
   if #requests == 0 then
      error("random.lua: no 'account user token' lines in " .. file)
   end
   math.randomseed(os.time() * 1000 + (tid or 0) * 7919)
end

function request()
   return requests[math.random(#requests)]
end
