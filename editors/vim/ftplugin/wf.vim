" Vim filetype plugin for wf workflow files (*.wf).
if exists("b:did_ftplugin")
  finish
endif
let b:did_ftplugin = 1
let s:cpo_save = &cpo
set cpo&vim

" Comments: `// line` and `/* block */` (gc, gq and o/O continue them).
setlocal commentstring=//\ %s
setlocal comments=s1:/*,mb:*,ex:*/,://
setlocal formatoptions-=t formatoptions+=croqlj

" Two-space indentation, as `wf fmt` writes it.
setlocal expandtab shiftwidth=2 softtabstop=2

" `gf` on `use "./shared/checks.wf"` opens the module.
setlocal suffixesadd=.wf

" :make checks the current file; the short format is one `file:line:col: severity[code]: message`
" line per diagnostic, which is what the quickfix list reads.
setlocal makeprg=wf\ check\ --format\ short\ %:S
setlocal errorformat=%f:%l:%c:\ %trror[%*[^]]]:\ %m,%f:%l:%c:\ %tarning[%*[^]]]:\ %m,%f:%l:%c:\ %trror:\ %m,%f:%l:%c:\ %tarning:\ %m,%-G%.%#

let b:undo_ftplugin = "setlocal commentstring< comments< formatoptions< expandtab< shiftwidth<"
      \ . " softtabstop< suffixesadd< makeprg< errorformat<"

let &cpo = s:cpo_save
unlet s:cpo_save
