" Vim syntax file for wf workflow files (.wf).
if exists("b:current_syntax")
  finish
endif

syn keyword wfItem        use as const model provider workflow
syn keyword wfStatement   phase run agent call gate wait parallel repeat for in fail finally
syn keyword wfConditional if else until max
syn keyword wfOperator    and or not
syn keyword wfBoolean     true false
syn keyword wfAttribute   description budget warn at timeout mode concurrency secret env shell
syn keyword wfAttribute   retry backoff undo risk dir expect cost output prompt returns require approve
syn keyword wfAttribute   id input cached per kind url command key
syn match   wfAttribute   "\<on\>\(\s\+\(failure\|timeout\)\)\?"
syn keyword wfType        string int float bool duration money tokens percent list
syn keyword wfConstant    abort continue rollback escalate low high autopilot supervised hybrid sim stdout stderr

syn match   wfDuration    "\<\d\+\(d\|h\|ms\|m\|s\)\(\d\+\(d\|h\|ms\|m\|s\)\)*\>"
syn match   wfMoney       "\$\d[0-9_]*\(\.\d\+\)\?"
syn match   wfTokens      "\<\d[0-9_]*\(\.\d\+\)\?[kM]\?\s\+tokens\>"
syn match   wfPercent     "\<\d[0-9_]*\(\.\d\+\)\?%"
syn match   wfNumber      "\<\d[0-9_]*\(\.\d\+\)\?\>"

syn region  wfInterp      start="{{" end="}}" contained contains=wfNumber,wfOperator,wfBoolean
syn match   wfEscape      "\\[\"\\nt{]" contained
syn region  wfString      start=+"+ skip=+\\"+ end=+"+ oneline contains=wfInterp,wfEscape
syn region  wfTextBlock   start=+"""+ end=+"""+ contains=wfInterp,wfEscape

syn keyword wfTodo        TODO FIXME NOTE contained
syn match   wfComment     "//.*$" contains=wfTodo
syn region  wfComment     start="/\*" end="\*/" contains=wfTodo

hi def link wfItem        Keyword
hi def link wfStatement   Statement
hi def link wfConditional Conditional
hi def link wfOperator    Operator
hi def link wfBoolean     Boolean
hi def link wfAttribute   Identifier
hi def link wfType        Type
hi def link wfConstant    Constant
hi def link wfDuration    Number
hi def link wfMoney       Number
hi def link wfTokens      Number
hi def link wfPercent     Number
hi def link wfNumber      Number
hi def link wfString      String
hi def link wfTextBlock   String
hi def link wfInterp      Special
hi def link wfEscape      SpecialChar
hi def link wfComment     Comment
hi def link wfTodo        Todo

let b:current_syntax = "wf"
