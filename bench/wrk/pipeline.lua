-- Pipelined requests for wrk: each write carries `depth` GET requests for the URL's path
-- (arguments: depth, default 16). wrk counts every response, so req/s is per request.
init = function(args)
  local depth = tonumber(args[1]) or 16
  local one = wrk.format(nil, wrk.path)
  local all = {}
  for i = 1, depth do all[i] = one end
  batch = table.concat(all)
end

request = function()
  return batch
end
