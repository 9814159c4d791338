" Vim indent file for wf workflow files (*.wf): one shiftwidth per open { ( [, text blocks
" and block comments left as written. Needs syntax highlighting on (it skips brackets in
" strings and comments by their syntax group).
if exists("b:did_indent")
  finish
endif
let b:did_indent = 1

setlocal autoindent nosmartindent nocindent
setlocal indentexpr=GetWfIndent(v:lnum)
setlocal indentkeys=0{,0},0),0],!^F,o,O,e

let b:undo_indent = "setlocal autoindent< smartindent< cindent< indentexpr< indentkeys<"

if exists("*GetWfIndent")
  finish
endif

function! s:InText(lnum, col) abort
  for l:id in synstack(a:lnum, a:col)
    if synIDattr(l:id, 'name') =~# '^wf\%(String\|TextBlock\|Comment\)$'
      return 1
    endif
  endfor
  return 0
endfunction

" Whether the line continues a text block or a block comment begun on an earlier line.
function! s:Continues(lnum) abort
  let l:line = getline(a:lnum)
  for l:id in synstack(a:lnum, 1)
    let l:name = synIDattr(l:id, 'name')
    if l:name ==# 'wfTextBlock' || (l:name ==# 'wfComment' && l:line !~# '^\s*/[/*]')
      return 1
    endif
  endfor
  return 0
endfunction

" Brackets the line leaves open, after the closing ones it starts with.
function! s:Opens(lnum) abort
  let l:line = getline(a:lnum)
  let l:depth = 0
  let l:leading = 1
  for l:col in range(1, len(l:line))
    let l:char = l:line[l:col - 1]
    if l:char =~# '[{(\[\])}]' && !s:InText(a:lnum, l:col)
      if l:char =~# '[{(\[]'
        let l:depth += 1
        let l:leading = 0
      elseif !l:leading
        let l:depth -= 1
      endif
    elseif l:char !~# '\s'
      let l:leading = 0
    endif
  endfor
  return l:depth
endfunction

function! GetWfIndent(lnum) abort
  " A line inside a text block or a block comment keeps its indentation.
  if s:Continues(a:lnum)
    return -1
  endif
  let l:prev = prevnonblank(a:lnum - 1)
  if l:prev == 0
    return 0
  endif
  let l:opens = s:Opens(l:prev)
  " After a text block or block comment, indent from the line that opened it.
  let l:base = l:prev
  while l:base > 1 && s:Continues(l:base)
    let l:base = prevnonblank(l:base - 1)
    let l:opens += s:Opens(l:base)
  endwhile
  let l:indent = indent(l:base) + (l:opens > 0 ? shiftwidth() : 0)
  if getline(a:lnum) =~# '^\s*[})\]]'
    let l:indent -= shiftwidth()
  endif
  return max([l:indent, 0])
endfunction
