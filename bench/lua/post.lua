-- bench/lua/post.lua - wrk script: the same form POST on every request.
--
--   wrk ... -s bench/lua/post.lua URL -- BODY [CONTENT-TYPE]
--
-- BODY is sent as it is (already urlencoded), with CONTENT-TYPE
-- (default application/x-www-form-urlencoded); headers given with -H are
-- kept.  Used for the OAuth JWT grant (POST /oauth/token); against the
-- reference servers the same POST is answered with the captured response.

function init(args)
   if args[1] == nil then
      error("post.lua: usage: -- BODY [CONTENT-TYPE]")
   end
   wrk.method = "POST"
   wrk.headers["Content-Type"] = args[2] or "application/x-www-form-urlencoded"
   wrk.body = args[1]
end
