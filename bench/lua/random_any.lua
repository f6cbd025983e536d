-- bench/lua/random_any.lua - wrk script: GET profile of a random user of the
-- whole data set, read by the admin of the user's account.
--
--   wrk ... -s bench/lua/random_any.lua http://127.0.0.1:PORT -- ADMINS PAIRS [PREFIX [put]]
--
-- ADMINS holds "accountId token" lines (a token of each account's admin,
-- minted with `profiled token`); PAIRS holds "accountId userId" lines drawn
-- from all users.  Each request picks a pair at random and asks for
-- PREFIX/accounts/{accountId}/users/{userId}/profile (PREFIX defaults to
-- /restapi/v2.1) with the token of that account's admin: a few thousand
-- tokens reach every one of a million users, so the server's caches cannot
-- hold the working set.  Headers given with -H (e.g. Accept) are kept.
-- With "put" after the prefix, each request is instead a PUT of a partial
-- userProfile (JSON) that changes the job title, cycling through 64
-- values: writes spread over many users (bench/lua/put.lua writes one,
-- the best case for the write queue's group commit).

local headers_of = {}          -- accountId -> request headers
local paths, accounts = {}, {}
local thread_no = 0
local put, n = false, 0

function setup(thread)
   thread:set("tid", thread_no)
   thread_no = thread_no + 1
end

function init(args)
   local admins, pairs_file = args[1], args[2]
   local prefix = args[3] or "/restapi/v2.1"
   put = args[4] == "put"
   if admins == nil or pairs_file == nil then
      error("random_any.lua: usage: -- ADMINS_FILE PAIRS_FILE [PREFIX]")
   end
   for line in io.lines(admins) do
      local acc, tok = line:match("^(%S+)%s+(%S+)%s*$")
      if acc then
         local h = {}
         for k, v in pairs(wrk.headers) do
            h[k] = v
         end
         h["Authorization"] = "Bearer " .. tok
         if put then
            h["Content-Type"] = "application/json"
         end
         headers_of[acc] = h
      end
   end
   for line in io.lines(pairs_file) do
      local acc, uid = line:match("^(%S+)%s+(%S+)%s*$")
      if acc and headers_of[acc] then
         paths[#paths + 1] = prefix .. "/accounts/" .. acc .. "/users/" .. uid .. "/profile"
         accounts[#accounts + 1] = acc
      end
   end
   if #paths == 0 then
      error("random_any.lua: no pair of " .. pairs_file .. " has an admin token in " .. admins)
   end
   math.randomseed(os.time() * 1000 + (tid or 0) * 7919)
end

function request()
   local i = math.random(#paths)
   if not put then
      return wrk.format("GET", paths[i], headers_of[accounts[i]])
   end
   n = n + 1
   local body = string.format('{"title":"Engineer %d","userDetails":{"jobTitle":"Engineer %d"}}',
                              n % 64, n % 64)
   return wrk.format("PUT", paths[i], headers_of[accounts[i]], body)
end
