-- wf's language server in Neovim 0.10 or later, without nvim-lspconfig. (For 0.7 to 0.9 use
-- lsp-0.7.lua; 0.11 can also use `vim.lsp.config`, see editors/README.md.)
--
-- Copy this file to ~/.config/nvim/plugin/wf-lsp.lua, or `dofile()` it from init.lua. It
-- gives `*.wf` the file type `wf` (editors/vim does too, with highlighting) and starts
-- `wf lsp` for wf buffers, one server per project (the folder holding `.git`, else the
-- file's folder). Set `vim.g.wf_lsp_cmd = { "/path/to/wf", "lsp" }` first when `wf` is not
-- on PATH.
--
-- Go to definition on an item of the standard library (`models.sonnet`) opens a read-only
-- `wf-std:///models.wf` buffer, whose text the server sends (`workspace/textDocumentContent`).

local group = vim.api.nvim_create_augroup("wf_lsp", { clear = true })

vim.filetype.add({ extension = { wf = "wf" } })

vim.api.nvim_create_autocmd("FileType", {
  group = group,
  pattern = "wf",
  callback = function(args)
    local name = vim.api.nvim_buf_get_name(args.buf)
    if name:match("^wf%-std:") then
      return -- the standard library's text: read-only, nothing to check
    end
    local git = vim.fs.find(".git", { upward = true, path = vim.fs.dirname(name) })[1]
    vim.lsp.start({
      name = "wf",
      cmd = vim.g.wf_lsp_cmd or { "wf", "lsp" },
      root_dir = git and vim.fs.dirname(git) or vim.fs.dirname(name),
    }, { bufnr = args.buf })
  end,
})

vim.api.nvim_create_autocmd("BufReadCmd", {
  group = group,
  pattern = "wf-std://*",
  callback = function(args)
    local uri = vim.api.nvim_buf_get_name(args.buf)
    for _, client in ipairs(vim.lsp.get_clients({ name = "wf" })) do
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
    vim.notify("wf: no running wf lsp could read " .. uri, vim.log.levels.WARN)
  end,
})
