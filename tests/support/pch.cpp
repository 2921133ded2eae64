// Nothing: the target exists to build the tests' shared precompiled header (see CMakeLists.txt).
