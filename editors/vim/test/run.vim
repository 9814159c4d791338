" Checks the syntax groups asserted in .wf test files and exits non-zero if any differ.
"
"   WF_VIM_TEST_OUT=result.txt vim -u NONE -i NONE -N -es -S editors/vim/test/run.vim -- FILE...
"
" (see ../test.sh). With --examples as the first file argument the files are real, valid,
" formatted workflows instead: no column may be in an error group, no region may be open at
" the end, and re-indenting the whole file (gg=G) must change nothing.
"
" In a test file, a line `//   ^^^ wfGroup` asserts that each column marked with ^ in the
" closest line above that is not an assertion has the innermost syntax group wfGroup (`NONE`:
" no group). The buffer keeps the assertion lines: they are ordinary `//` comments.
set nocompatible
let s:here = expand('<sfile>:p:h')
execute 'set runtimepath^=' . fnameescape(fnamemodify(s:here, ':h'))
filetype plugin indent on
syntax on

let s:failures = []
let s:count = 0
let s:files = argv()
let s:examples = get(s:files, 0, '') ==# '--examples'
if s:examples
  call remove(s:files, 0)
endif
let s:errors = ['wfBadNumber', 'wfEscapeError', 'wfInterpError']
for s:file in s:files
  execute 'silent edit' fnameescape(s:file)
  if &filetype !=# 'wf'
    call add(s:failures, s:file . ': filetype is "' . &filetype . '", not wf (ftdetect)')
    continue
  endif
  for [s:option, s:want] in [['shiftwidth', 2], ['expandtab', 1], ['commentstring', '// %s']]
    if getbufvar('', '&' . s:option) !=# s:want
      call add(s:failures, printf('%s: ftplugin: %s is %s, not %s', s:file, s:option, string(getbufvar('', '&' . s:option)), string(s:want)))
    endif
  endfor
  if s:examples
    for s:lnum in range(1, line('$'))
      for s:col in range(1, len(getline(s:lnum)))
        let s:count += 1
        let s:group = synIDattr(synID(s:lnum, s:col, 1), 'name')
        if index(s:errors, s:group) >= 0
          call add(s:failures, printf('%s:%d:%d: %s in a valid file', s:file, s:lnum, s:col, s:group))
        endif
      endfor
    endfor
    let s:open = map(synstack(line('$'), max([1, len(getline('$'))])), 'synIDattr(v:val, "name")')
    if !empty(filter(s:open, 'v:val !=# "wfDelimiter"'))
      call add(s:failures, printf('%s: syntax items still open at the end: %s', s:file, join(s:open)))
    endif
    let s:before = getline(1, '$')
    silent normal! gg=G
    let s:changed = filter(range(len(s:before)), 's:before[v:val] !=# getline(v:val + 1)')
    for s:i in s:changed[:4]
      call add(s:failures, printf('%s:%d: gg=G re-indents %s as %s', s:file, s:i + 1, string(s:before[s:i]), string(getline(s:i + 1))))
    endfor
    silent edit!
    continue
  endif
  let s:source = 0
  for s:lnum in range(1, line('$'))
    let s:text = getline(s:lnum)
    let s:m = matchlist(s:text, '^//\(\s*\^[ ^]*\)\(\S\+\)\s*$')
    if empty(s:m)
      let s:source = s:lnum
      continue
    endif
    let s:expected = s:m[2]
    let s:col = 0
    while s:col < len(s:text)
      if s:text[s:col] ==# '^'
        let s:count += 1
        let s:actual = synIDattr(synID(s:source, s:col + 1, 1), 'name')
        let s:actual = empty(s:actual) ? 'NONE' : s:actual
        if s:actual !=# s:expected
          call add(s:failures, printf('%s:%d: column %d of line %d (%s): expected %s, got %s',
                \ s:file, s:lnum, s:col + 1, s:source, string(getline(s:source)[s:col]), s:expected, s:actual))
        endif
      endif
      let s:col += 1
    endwhile
  endfor
endfor

call writefile(s:failures + [printf('%d columns checked, %d wrong', s:count, len(s:failures))],
      \ empty($WF_VIM_TEST_OUT) ? '/dev/stdout' : $WF_VIM_TEST_OUT)
if !empty(s:failures) || s:count == 0
  cquit
endif
qall!
