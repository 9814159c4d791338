" Detect wf workflow files.
autocmd BufRead,BufNewFile *.wf setfiletype wf
