-- A plain CPU benchmark for the sandbox's per-instruction cost: arithmetic loops, table
-- writes and reads, closures, method calls and short strings. Prints a checksum.
local sum = 0
for i = 1, 6000000 do sum = (sum + i * 7) % 1000003 end

local t = {}
for i = 1, 300000 do t[i] = i * 2 end
for round = 1, 10 do
  for i = 1, #t do sum = (sum + t[i] + round) % 1000003 end
end

local function counter()
  local n = 0
  return function() n = n + 1; return n end
end
local next_value = counter()
for _ = 1, 1000000 do sum = (sum + next_value()) % 1000003 end

local Point = {}
Point.__index = Point
function Point.new(x, y) return setmetatable({x = x, y = y}, Point) end
function Point:norm1() return math.abs(self.x) + math.abs(self.y) end
for i = 1, 300000 do sum = (sum + Point.new(i, -i):norm1()) % 1000003 end

local parts = {}
for i = 1, 100000 do parts[#parts + 1] = tostring(i) .. "," end
local joined = table.concat(parts)
sum = (sum + #joined) % 1000003
print(sum)
