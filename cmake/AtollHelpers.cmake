# Declarative helpers so each folder's CMakeLists is a short list (after absl_cc_library/absl_cc_test).

# atoll_cc_library(NAME name SRCS ... DEPS ...): one library per top-level folder.
function(atoll_cc_library)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS" ${ARGN})
  add_library(${ARG_NAME} STATIC ${ARG_SRCS})
  target_include_directories(${ARG_NAME} PUBLIC ${CMAKE_SOURCE_DIR})
  target_link_libraries(${ARG_NAME} PUBLIC ${ARG_DEPS})
  # V8 classes are subclassed (ArrayBuffer::Allocator, ...): the libnode build has no RTTI.
  target_compile_options(${ARG_NAME} PRIVATE -fno-rtti)
endfunction()

# atoll_cc_test(NAME name SRCS ... DEPS ...): a gtest binary registered with ctest.
function(atoll_cc_test)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  target_compile_options(${ARG_NAME} PRIVATE -fno-rtti)
  gtest_discover_tests(${ARG_NAME} DISCOVERY_TIMEOUT 30 DISCOVERY_MODE PRE_TEST
    PROPERTIES ENVIRONMENT "ATOLL_BIN=$<TARGET_FILE:atoll>")
endfunction()

include(GoogleTest)
