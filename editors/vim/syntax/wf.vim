" Vim syntax file
" Language:    wf workflow files (*.wf)
" Follows grammar/wf.pest, like the TextMate grammar in editors/vscode:
" - reserved words (use as const model provider workflow phase run agent call gate wait parallel
"   if else repeat for in fail max until on finally true false and or not) are keywords;
" - attribute words (timeout, retry, cost, output, env, ...) are contextual: they are
"   highlighted only where an attribute can start. Expressions are contained regions that do
"   not contain them, so `timeout` is a name in `require timeout.ok "..."`, `{{timeout}}`,
"   `run timeout "..."` and `x.timeout`. An expression ends at { } ;, at the end of the line,
"   or where a word or a string follows a complete operand (`timeout 5m expect 2m`).

if exists("b:current_syntax")
  finish
endif
let s:cpo_save = &cpo
set cpo&vim

syn case match
syn sync fromstart

" A name: an identifier that is not a reserved word.
let s:reserved = 'use\|as\|const\|model\|provider\|workflow\|phase\|run\|agent\|call\|gate\|wait\|parallel\|if\|else\|repeat\|for\|in\|fail\|max\|until\|on\|finally\|true\|false\|and\|or\|not'
let s:name = '\%(\<\%(' . s:reserved . '\)\>\)\@!\<\h\w*\>'
" Not a function call, a field access or a `name:` key (then the word is a name, not an attribute).
let s:not_name_use = '\%(\s*[(:]\|\.\h\)\@!'
" Where an expression ends (see above); `a:extra` lists more words that continue it.
function! s:ExprEnd(extra) abort
  let l:continues = join(['and\>', 'or\>'] + a:extra, '\|')
  return '\ze\s*[;{}]\|$\|[[:alnum:]_"%)\]]\@<=\%(\<\%(and\|or\|not\)\)\@<!\ze\s\+\%(' . l:continues . '\)\@![A-Za-z_"]'
endfunction

" ---------------------------------------------------------------- comments

syn keyword wfTodo        TODO FIXME XXX NOTE contained
syn match   wfComment     "//.*$" contains=wfTodo,@Spell
syn region  wfComment     start="/\*" end="\*/" contains=wfTodo,@Spell

" ---------------------------------------------------------------- literals
" Later definitions win at the same position: a number run into letters (5min, 12kb, 1.5h) is
" an error unless one of the literal forms after it matches.

syn match   wfBadNumber   "\$\=\<\d\%(\w\|\.\d\)*"
syn match   wfNumber      "\<\d[0-9_]*\>\%(\.\d\)\@!"
syn match   wfFloat       "\<\d[0-9_]*\.\d[0-9_]*\>\%(\.\d\)\@!"
syn match   wfDuration    "\<\%(\d[0-9_]*\%(ms\|[dhms]\)\)\+\>"
syn match   wfPercent     "\<\d[0-9_]*\%(\.\d[0-9_]*\)\=%"
syn match   wfMoney       "\$\d[0-9_]*\%(\.\d[0-9_]*\)\=\>\%(\.\d\)\@!"
syn match   wfTokens      "\<\d[0-9_]*\%(\.\d[0-9_]*\)\=[kM]\=[ \t]\+tokens\>"
syn keyword wfBoolean     true false

" ---------------------------------------------------------------- strings

syn match   wfEscapeError +\\.+ contained
syn match   wfEscapeError +\\$+ contained
syn match   wfEscape      +\\\%({{\|["\\nt]\)+ contained
syn region  wfInterp      matchgroup=wfInterpDelim start="{{" end="}}" oneline contained contains=@wfExpr
syn region  wfInterpBlock matchgroup=wfInterpDelim start="{{" end="}}" end=+\ze"""+ contained contains=@wfExpr
syn match   wfInterpError "{{\s*}}" contained
syn region  wfString      start=+"+ skip=+\\\\\|\\"+ end=+"+ end=+$+ contains=wfEscape,wfEscapeError,wfInterp,wfInterpError,@Spell
syn region  wfTextBlock   start=+"""+ end=+"""+ contains=wfEscape,wfEscapeError,wfInterpBlock,wfInterpError,@Spell

" ---------------------------------------------------------------- expressions

syn keyword wfLogical     and or not
syn match   wfOperator    "==\|!=\|<=\|>=\|<\|>\|+\|-\|\*\|\.\."
syn match   wfOperator    "/[/*]\@!"
syn match   wfFuncCall    "\<\h\w*\ze\s*("
syn match   wfFunction    "\<\%(len\|contains\|matches\|env\|min\|max\|all\|any\|json\|regex\)\ze\s*("
syn match   wfField       "\.\h\w*"
syn region  wfParens      matchgroup=wfDelimiter start="(" end=")" contains=@wfExpr
syn region  wfBrackets    matchgroup=wfDelimiter start="\[" end="]" contains=@wfExpr
syn cluster wfExpr        contains=wfComment,wfString,wfTextBlock,wfBadNumber,wfNumber,wfFloat,wfDuration,wfPercent,wfMoney,wfTokens,wfBoolean,wfLogical,wfOperator,wfFuncCall,wfFunction,wfField,wfParens,wfBrackets,wfOutputSource

" ---------------------------------------------------------------- types

syn match   wfType        "\<\%(string\|int\|float\|bool\|duration\|money\|tokens\|percent\)\>" contained
syn region  wfListType    matchgroup=wfType start="\<list\s*<" end=">" contained contains=wfType,wfListType,wfRecord
syn region  wfRecord      matchgroup=wfDelimiter start="{" end="}" contained contains=wfComment,wfFieldName,wfType,wfListType,wfRecord
syn match   wfFieldName   "\<\h\w*\ze\s*:" contained
syn cluster wfTypes       contains=wfType,wfListType,wfRecord

" ---------------------------------------------------------------- attributes
" Attribute words are top-level items only: never inside an expression region.

exe 'syn match wfAttribute "\<\%(description\|budget\|warn\|timeout\|mode\|concurrency\|secret\|env\|shell\|retry\|undo\|risk\|dir\|expect\|cost\|output\|prompt\|returns\|require\|approve\|model\|provider\)\>' . s:not_name_use . '"'

exe 'syn match wfAttribute "\<\%(timeout\|concurrency\|dir\|expect\|cost\|require\|warn\)\>' . s:not_name_use . '" nextgroup=wfAttrExpr skipwhite'
exe 'syn region wfAttrExpr start="\S\@=" end=#' . s:ExprEnd([]) . '# contained contains=@wfExpr'

exe 'syn match wfAttribute "\<budget\>' . s:not_name_use . '" nextgroup=wfBudgetExpr skipwhite'
exe 'syn region wfBudgetExpr start="\S\@=" end=#' . s:ExprEnd(['warn\s\+at\>', 'per\s\+\h']) . '# contained contains=wfWarnAt,wfPer,@wfExpr'
syn match   wfWarnAt      "\<warn\s\+at\>" contained
" `per day`, `per month`: a budget across runs.
syn match   wfPer         "\<per\s\+\%(day\|month\)\>" contained

exe 'syn match wfAttribute "\<retry\>' . s:not_name_use . '" nextgroup=wfRetryExpr skipwhite'
exe 'syn region wfRetryExpr start="\S\@=" end=#' . s:ExprEnd(['backoff\>', 'on\s\+\%(exit\|timeout\|error\|any\)\>']) . '# contained contains=wfBackoff,wfRetryOn,@wfExpr'
syn keyword wfBackoff     backoff contained
" `on KIND, ...` is one match: the expression region would end after a lone `on`.
let s:retry_kind = '\%(exit\s\+[[:alnum:]_.]\+\|timeout\|error\|any\)\>'
exe 'syn match wfRetryOn "\<on\s\+' . s:retry_kind . '\%(\s*,\s*' . s:retry_kind . '\)*" contained contains=wfRetryKind,wfNumber'
syn keyword wfRetryKind   exit timeout error any contained

exe 'syn match wfAttribute "\<mode\>' . s:not_name_use . '" nextgroup=wfMode skipwhite'
syn keyword wfMode        autopilot supervised hybrid contained
exe 'syn match wfAttribute "\<risk\>' . s:not_name_use . '" nextgroup=wfRisk skipwhite'
syn keyword wfRisk        low high contained
exe 'syn match wfAttribute "\<secret\>' . s:not_name_use . '" nextgroup=wfSecret skipwhite'
syn match   wfSecret      "\<\h\w*\>" contained
syn match   wfAttribute   "\<undo\s\+run\>"
exe 'syn match wfAttribute "\<\%(model\|provider\)\>' . s:not_name_use . '" nextgroup=wfItemRef skipwhite'
syn match   wfItemRef     "\<\h\w*\%(\.\h\w*\)*" contained contains=wfNamespace
syn match   wfNamespace   "\<\h\w*\ze\." contained

syn region  wfEnv         matchgroup=wfAttribute start="\<env\ze\s*{" matchgroup=wfDelimiter end="}" contains=wfEnvOpen,wfEnvKey,@wfExpr
syn match   wfEnvOpen     "{" contained
syn match   wfEnvKey      "\<\h\w*\ze\s*:" contained
syn region  wfReturns     matchgroup=wfAttribute start="\<returns\ze\s*{" matchgroup=wfDelimiter end="}" contains=wfEnvOpen,wfComment,wfFieldName,@wfTypes

syn match   wfAttribute   "\<output\ze\s\+\h\w*\s*:" nextgroup=wfOutputName skipwhite
syn match   wfOutputName  "\<\h\w*\>" contained nextgroup=wfOutputType skipwhite
syn match   wfOutputType  ":\s*\%(\<\h\w*\>\)\=" contained contains=wfType
syn match   wfOutputSource "\%(\<\%(json\|regex\)\s*(\s*\)\@<=\<std\%(out\|err\)\>"

" on failure POLICY, on timeout approve|reject
syn keyword wfException   on nextgroup=wfOnEvent skipwhite
syn keyword wfOnEvent     failure timeout contained nextgroup=wfPolicy skipwhite
syn keyword wfPolicy      abort continue rollback escalate approve reject contained

" ---------------------------------------------------------------- items

syn keyword wfDeclaration use as const workflow phase
exe 'syn match wfNamespace "\%(\<use\s\+\)\@<=std\%(/\h\w*\)\+"'
exe 'syn match wfNamespace "\%(\<as\s\+\)\@<=' . s:name . '"'
exe 'syn match wfWorkflowName "\%(\<workflow\s\+\)\@<=' . s:name . '"'
exe 'syn match wfSectionName "\%(\<phase\s\+\)\@<=' . s:name . '"'

exe 'syn match wfConstName "\%(\<const\s\+\)\@<=' . s:name . '" nextgroup=wfConstRest skipwhite'
exe 'syn region wfConstRest start="\S\@=" end=#' . s:ExprEnd([]) . '# contained contains=wfTypeColon,wfAssign,@wfExpr'
syn match   wfTypeColon   ":" contained nextgroup=@wfTypes skipwhite
syn match   wfAssign      "=\@<!==\@!"

syn region  wfParams      matchgroup=wfDelimiter start="\%(\<workflow\s\+\h\w*\s*\)\@<=(" end=")" contains=wfParamName,wfTypeColon,wfAssign,@wfExpr
syn match   wfParamName   "\<\h\w*\ze\s*:" contained

syn region  wfModelItem   matchgroup=wfDeclaration start="\<model\ze\s\+\h\w*\s*{" matchgroup=wfDelimiter end="}" contains=wfItemName,wfModelAttr,wfComment,wfString,wfMoney,wfTokens
syn region  wfProviderItem matchgroup=wfDeclaration start="\<provider\ze\s\+\h\w*\s*{" matchgroup=wfDelimiter end="}" contains=wfItemName,wfProviderAttr,wfComment,wfString
syn match   wfItemName    "\%(\<\%(model\|provider\)\s\+\)\@<=\h\w*" contained
syn keyword wfModelAttr   id input output cached per contained
syn keyword wfProviderAttr url command contained
syn keyword wfProviderAttr kind contained nextgroup=wfProviderKind skipwhite
syn keyword wfProviderKind sim command openai anthropic contained
syn keyword wfProviderAttr key contained nextgroup=wfSecret skipwhite

" ---------------------------------------------------------------- statements

syn keyword wfStep        run agent call gate
exe 'syn match wfStepName "\%(\<\%(run\|agent\|call\|gate\)\s\+\)\@<=' . s:name . '"'
exe 'syn match wfCallee "\%(\<call\s\+\h\w*\s\+\)\@<=\h\w*\%(\.\h\w*\)*\ze\s*(" contains=wfNamespace'
syn region  wfCallArgs    matchgroup=wfDelimiter start="\%(\<call\s\+\h\w*\s\+\h[[:alnum:]_.]*\s*\)\@<=(" end=")" contains=wfParamName,@wfExpr

" watch NAME "command" every EXPR for EXPR { ... fail when EXPR [for EXPR] ... }: `watch`,
" `every`, `pass` and `when` are not reserved, so each is matched only where it has its role.
syn match   wfStep        "^\s*\zswatch\>" nextgroup=wfStepName skipwhite
exe 'syn match wfStepName "\%(^\s*watch\s\+\)\@<=' . s:name . '"'
syn match   wfRepeat      +\%("\s\+\)\@<=every\>+ nextgroup=wfAttrExpr skipwhite
syn match   wfAttribute   "\<pass\ze\s\+when\>"
syn match   wfAttribute   "\%(\<\%(fail\|pass\)\s\+\)\@<=when\>" nextgroup=wfWhenExpr skipwhite
exe 'syn region wfWhenExpr start="\S\@=" end=#' . s:ExprEnd(['for\>']) . '# contained contains=wfWindowFor,@wfExpr'
syn keyword wfWindowFor   for contained

syn keyword wfStep        wait nextgroup=wfWaitName skipwhite
exe 'syn match wfWaitName "' . s:name . '" contained nextgroup=wfAttrExpr skipwhite'

syn keyword wfConditional if nextgroup=wfCondition skipwhite
syn keyword wfConditional else
syn region  wfCondition   start="\S\@=" end="\ze[{};]" contained contains=@wfExpr

syn keyword wfRepeat      repeat parallel nextgroup=wfHeader skipwhite
syn keyword wfRepeat      for nextgroup=wfForHeader skipwhite
syn region  wfHeader      start="\S\@=" end="\ze[{};]" contained contains=wfBlockName,wfMax,wfUntil,@wfExpr
syn region  wfForHeader   start="\S\@=" end="\ze[{};]" contained contains=wfBlockName,wfLoopVar,wfIn,wfForParallel,wfMax,@wfExpr
exe 'syn match wfBlockName "\%(\<\%(repeat\|parallel\)\s\+\)\@<=' . s:name . '" contained'
exe 'syn match wfBlockName "\%(\<for\s\+\)\@<=' . s:name . '\ze\s\+\h\w*\s\+in\>" contained'
exe 'syn match wfBlockName "\%(\<for\s\+\)\@<=' . s:name . '\ze\s\+\h\w*\s*,\s*\h\w*\s\+in\>" contained'
exe 'syn match wfLoopVar "' . s:name . '\ze\s\+in\>" contained'
" The index of `for [NAME] INDEX, VAR in`.
exe 'syn match wfLoopVar "' . s:name . '\ze\s*,\s*\h\w*\s\+in\>" contained'
syn keyword wfIn          in contained
syn keyword wfForParallel parallel contained
syn keyword wfUntil       until contained
syn match   wfMax         "\<max\>\%(\s*(\)\@!"
syn keyword wfRepeat      in until
syn keyword wfException   fail finally

syn match   wfDelimiter   "[{};]"

" ---------------------------------------------------------------- highlighting

hi def link wfComment      Comment
hi def link wfTodo         Todo
hi def link wfDeclaration  Keyword
hi def link wfStep         Statement
hi def link wfConditional  Conditional
hi def link wfRepeat       Repeat
hi def link wfMax          Repeat
hi def link wfIn           Repeat
hi def link wfUntil        Repeat
hi def link wfForParallel  Repeat
hi def link wfWindowFor    Repeat
hi def link wfException    Exception
hi def link wfAttribute    PreProc
hi def link wfWarnAt       PreProc
hi def link wfPer          PreProc
hi def link wfBackoff      PreProc
hi def link wfRetryOn      Exception
hi def link wfOnEvent      PreProc
hi def link wfModelAttr    PreProc
hi def link wfProviderAttr PreProc
hi def link wfPolicy       Constant
hi def link wfMode         Constant
hi def link wfRisk         Constant
hi def link wfRetryKind    Constant
hi def link wfProviderKind Constant
hi def link wfSecret       Special
hi def link wfOutputSource Special
hi def link wfWorkflowName Function
hi def link wfStepName     Function
hi def link wfWaitName     Function
hi def link wfCallee       Function
hi def link wfSectionName  Label
hi def link wfBlockName    Label
hi def link wfItemName     Structure
hi def link wfItemRef      Structure
hi def link wfNamespace    Identifier
hi def link wfConstName    Constant
hi def link wfParamName    Identifier
hi def link wfLoopVar      Identifier
hi def link wfFieldName    Identifier
hi def link wfOutputName   Identifier
hi def link wfEnvKey       Identifier
hi def link wfField        Identifier
hi def link wfType         Type
hi def link wfFunction     Function
hi def link wfFuncCall     Function
hi def link wfLogical      Operator
hi def link wfOperator     Operator
hi def link wfAssign       Operator
hi def link wfDelimiter    Delimiter
hi def link wfDuration     Number
hi def link wfMoney        Number
hi def link wfTokens       Number
hi def link wfPercent      Number
hi def link wfNumber       Number
hi def link wfFloat        Float
hi def link wfBoolean      Boolean
hi def link wfBadNumber    Error
hi def link wfString       String
hi def link wfTextBlock    String
hi def link wfEscape       SpecialChar
hi def link wfEscapeError  Error
hi def link wfInterpDelim  Special
hi def link wfInterpError  Error

let b:current_syntax = "wf"

let &cpo = s:cpo_save
unlet s:cpo_save
