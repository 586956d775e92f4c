-- POSTs one SMSReceived event per request to the webhook, each with its own id, to the number in NUMBER.
local number = os.getenv("NUMBER")
local secret = os.getenv("SECRET")
local counter = 0
local prefix = tostring(math.random(1, 1e9))

dofile(os.getenv("LOAD_DIR") .. "/count-statuses.lua")

function request()
  counter = counter + 1
  local id = string.format("Incoming_%s_%d_%d", prefix, math.random(1, 1e9), counter)
  -- Customers from a thousand numbers, so messages spread over conversations as real traffic does.
  local from = string.format("+1212555%04d", math.random(0, 999))
  local body = string.format('[{"id":"%s","topic":"/subscriptions/0/resourceGroups/load/providers/Microsoft.Communication/CommunicationServices/load",'
    .. '"subject":"/phonenumber/%s","eventType":"Microsoft.Communication.SMSReceived","dataVersion":"1.0","eventTime":"2026-12-03T00:00:00Z",'
    .. '"data":{"messageId":"%s","from":"%s","to":"%s","message":"load","receivedTimestamp":"2026-12-03T00:00:00Z","segmentCount":1}}]',
    id, number:sub(2), id, from, number)
  return wrk.format("POST", "/api/eventgrid/acs", { ["Content-Type"] = "application/json", ["x-hiroi-webhook-secret"] = secret }, body)
end
