-- bench/lua/soap.lua - wrk script: SOAP 1.1 GetUserProfile (seed 003).
--
--   wrk ... -H "Authorization: Bearer TOKEN" -s bench/lua/soap.lua URL -- USER_ID ACCOUNT_ID
--
-- Every request POSTs the same envelope with SOAPAction; headers given
-- with -H (the bearer token) are kept.  Against nginx the same POST is
-- answered from the captured response file.

function init(args)
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "text/xml; charset=utf-8"
   wrk.headers["SOAPAction"] = '"http://www.docusign.net/API/AccountManagement/GetUserProfile"'
   wrk.body = string.format(
      '<?xml version="1.0" encoding="utf-8"?>' ..
      '<soap:Envelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ' ..
      'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">' ..
      '<soap:Body><GetUserProfile xmlns="http://www.docusign.net/API/AccountManagement">' ..
      '<UserId>%s</UserId><AccountId>%s</AccountId></GetUserProfile></soap:Body></soap:Envelope>',
      args[1], args[2])
end
