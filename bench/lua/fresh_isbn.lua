-- Appended to request.lua for add_book: every request adds a book with a new valid ISBN-13,
-- "979" then the run's three digits, a six-digit counter and the check digit.

local counter = 0

local function check_digit(first12)
  local sum = 0
  for i = 1, 12 do
    local digit = tonumber(first12:sub(i, i))
    if i % 2 == 0 then sum = sum + 3 * digit else sum = sum + digit end
  end
  return tostring((10 - sum % 10) % 10)
end

function request()
  counter = counter + 1
  local first12 = run_prefix .. string.format("%06d", counter % 1000000)
  local body = body_template:gsub("{ISBN}", first12 .. check_digit(first12))
  return wrk.format(nil, nil, nil, body)
end
