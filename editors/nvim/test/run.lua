-- Run by test.sh in a headless Neovim: loads a snippet (WF_NVIM_SNIPPET) with the real
-- `wf lsp` (WF_BIN), opens test/broken.wf, and asserts that
--   1. a diagnostic with wf's code for the error arrives, on the right line,
--   2. go to definition on `models.sonnet` opens the read-only `wf-std:///models.wf` buffer
--      at the model.
-- Writes what it found to WF_NVIM_TEST_OUT and exits non-zero on a failure.
local out = assert(io.open(os.getenv("WF_NVIM_TEST_OUT"), "w"))
local failed = false
local function say(line)
  out:write(line, "\n")
end
local function expect(ok, what)
  say((ok and "ok   " or "FAIL ") .. what)
  failed = failed or not ok
end
local function finish()
  for _, client in pairs(vim.lsp.get_active_clients()) do
    client.stop(true)
  end
  out:close()
  vim.cmd(failed and "cquit 1" or "qall!")
end

local ok, err = xpcall(function()
  vim.g.wf_lsp_cmd = { os.getenv("WF_BIN"), "lsp" }
  dofile(os.getenv("WF_NVIM_SNIPPET"))
  vim.cmd("edit " .. vim.fn.fnameescape(os.getenv("WF_NVIM_FILE")))
  local buf = vim.api.nvim_get_current_buf()
  expect(vim.bo[buf].filetype == "wf", "*.wf gets the file type wf (" .. vim.bo[buf].filetype .. ")")

  local arrived = vim.wait(30000, function()
    return #vim.diagnostic.get(buf) > 0
  end, 20)
  expect(arrived, "diagnostics arrive from wf lsp")
  local codes = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code)
    table.insert(codes, string.format("%s@%d", tostring(code), d.lnum + 1))
  end
  local line = vim.fn.search("plan.sumary", "n")
  expect(
    table.concat(codes, " ") == "wf::check::unknown_field@" .. line,
    "one diagnostic, wf::check::unknown_field on line " .. line .. ": " .. table.concat(codes, " ")
  )

  -- Go to definition into the standard library.
  local at = vim.fn.searchpos("models\\.\\zssonnet", "n")
  vim.api.nvim_win_set_cursor(0, { at[1], at[2] - 1 })
  vim.lsp.buf.definition()
  local opened = vim.wait(30000, function()
    return vim.api.nvim_buf_get_name(0):match("^wf%-std:") ~= nil
  end, 20)
  local name = vim.api.nvim_buf_get_name(0)
  expect(opened and name == "wf-std:///models.wf", "definition opens wf-std:///models.wf (" .. name .. ")")
  local cursor = vim.api.nvim_get_current_line()
  expect(cursor:match("^model sonnet") ~= nil, "at the model: " .. cursor)
  expect(not vim.bo.modifiable and vim.bo.readonly, "read-only")
end, debug.traceback)
if not ok then
  expect(false, "error: " .. tostring(err))
end
finish()
