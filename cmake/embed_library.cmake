# Writes OUT: a C++ source holding every model file under SRC/models (*.kc)
# and the library's patch stacks (models/patches/**/*.toml) as strings, named
# by their paths from SRC, so the checker carries its kernel library and needs
# no file at run time.
file(GLOB_RECURSE files RELATIVE ${SRC} ${SRC}/models/*.kc ${SRC}/models/patches/*.toml)
list(SORT files)
set(body "// Generated from models/**/*.kc and models/patches/**/*.toml by cmake/embed_library.cmake: do not edit.\n")
string(APPEND body "#include \"lang/library.hpp\"\n\nnamespace pgmapcheck::lang {\n\n")
string(APPEND body "std::vector<library_file> const& library_files() {\n  static std::vector<library_file> const files{\n")
foreach(f ${files})
  file(READ ${SRC}/${f} text)
  string(APPEND body "    {\"${f}\", R\"pgmapcheck_kc(${text})pgmapcheck_kc\"},\n")
endforeach()
string(APPEND body "  };\n  return files;\n}\n\n}  // namespace pgmapcheck::lang\n")
file(WRITE ${OUT}.tmp "${body}")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different ${OUT}.tmp ${OUT})
