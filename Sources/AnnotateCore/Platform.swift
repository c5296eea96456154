// annotate is built, tested and deployed on Linux with glibc (Debian/Ubuntu, Amazon Linux):
// it calls Glibc directly (stat's st_mtim, mallopt, POSIX file calls). Say so plainly
// rather than fail somewhere deep in a build on another system.
#if !os(Linux)
#error("annotate builds on Linux (glibc) only; see README's Requirements")
#endif
