# Run at build time (report/CMakeLists.txt): writes OUT, a header with the commit and whether the
# tracked files differ from it, rewriting it only when that changed (so only run_report.cpp
# recompiles, and only then). SRC is the source tree.
execute_process(COMMAND git rev-parse --short=12 HEAD WORKING_DIRECTORY ${SRC}
  OUTPUT_VARIABLE sha OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE rc)
set(dirty 0)
if(NOT rc EQUAL 0 OR NOT sha)
  set(sha "unknown")
else()
  execute_process(COMMAND git status --porcelain --untracked-files=no WORKING_DIRECTORY ${SRC}
    OUTPUT_VARIABLE changes OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(changes)
    set(dirty 1)
  endif()
endif()
set(text "#pragma once\n// Written by cmake/git_info.cmake at build time.\n#define AISTOR_GIT_SHA \"${sha}\"\n#define AISTOR_GIT_DIRTY ${dirty}\n")
set(old "")
if(EXISTS ${OUT})
  file(READ ${OUT} old)
endif()
if(NOT old STREQUAL text)
  file(WRITE ${OUT} "${text}")
endif()
