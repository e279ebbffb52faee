-- GET /v1/ledger/trial-balance (finance report).
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

function request()
   return wrk.format("GET", "/v1/ledger/trial-balance", { ["Authorization"] = "Bearer " .. token })
end
