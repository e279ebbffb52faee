-- POST /v1/licences: a licence purchase with its own Idempotency-Key.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local body = '{"product_code":"base_text_syllabus_licence"}'

function request()
   return wrk.format("POST", "/v1/licences", {
      ["Authorization"] = "Bearer " .. token,
      ["Content-Type"] = "application/json",
      ["Idempotency-Key"] = next_key(),
   }, body)
end
