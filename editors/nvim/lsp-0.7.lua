-- wf's language server in Neovim 0.7 to 0.9, without nvim-lspconfig. (Debian 12 ships 0.7.2,
-- which has no `vim.lsp.start`; on 0.10 or later use lsp-0.10.lua.)
--
-- Copy this file to ~/.config/nvim/plugin/wf-lsp.lua, or `dofile()` it from init.lua. It
-- gives `*.wf` the file type `wf` (editors/vim does too, with highlighting) and starts one
-- `wf lsp` per project (the folder holding `.git`, else the file's folder), attached to every
-- wf buffer in it. Set `vim.g.wf_lsp_cmd = { "/path/to/wf", "lsp" }` first when `wf` is not
-- on PATH.
--
-- Go to definition on an item of the standard library (`models.sonnet`) opens a read-only
-- `wf-std:///models.wf` buffer, whose text the server sends (`workspace/textDocumentContent`).

local group = vim.api.nvim_create_augroup("wf_lsp", { clear = true })
local clients = {} -- project folder -> client id

vim.api.nvim_create_autocmd({ "BufRead", "BufNewFile" }, {
  group = group,
  pattern = "*.wf",
  command = "setfiletype wf",
})

local function project(path)
  local dir = vim.fn.fnamemodify(path, ":p:h")
  local git = vim.fn.finddir(".git", dir .. ";")
  if git ~= "" then
    return vim.fn.fnamemodify(git, ":p:h:h")
  end
  return dir
end

vim.api.nvim_create_autocmd("FileType", {
  group = group,
  pattern = "wf",
  callback = function(args)
    local name = vim.api.nvim_buf_get_name(args.buf)
    if name:match("^wf%-std:") then
      return -- the standard library's text: read-only, nothing to check
    end
    local root = project(name)
    local id = clients[root]
    if id == nil or vim.lsp.get_client_by_id(id) == nil then
      id = vim.lsp.start_client({
        name = "wf",
        cmd = vim.g.wf_lsp_cmd or { "wf", "lsp" },
        root_dir = root,
      })
      clients[root] = id
    end
    if id then
      vim.lsp.buf_attach_client(args.buf, id)
    end
  end,
})

vim.api.nvim_create_autocmd("BufReadCmd", {
  group = group,
  pattern = "wf-std://*",
  callback = function(args)
    local uri = vim.api.nvim_buf_get_name(args.buf)
    for _, client in pairs(vim.lsp.get_active_clients()) do
      if client.name == "wf" then
        local reply = client.request_sync("workspace/textDocumentContent", { uri = uri }, 5000, args.buf)
        if reply and reply.result then
          local lines = vim.split(reply.result.text, "\n", { plain = true })
          if lines[#lines] == "" then
            table.remove(lines)
          end
          vim.api.nvim_buf_set_lines(args.buf, 0, -1, false, lines)
          vim.bo[args.buf].buftype = "nofile"
          vim.bo[args.buf].modifiable = false
          vim.bo[args.buf].readonly = true
          vim.bo[args.buf].filetype = "wf"
          return
        end
      end
    end
    vim.notify("wf: no running wf lsp could read " .. uri, vim.log.levels.WARN)
  end,
})
