#if os(Linux)
import CMalloc
#endif

/// Settings that belong to the whole process, made once at start-up before any work.
enum ProcessSettings {
    static func apply() {
        #if os(Linux)
        // Parallel batches otherwise give every thread its own glibc arena, and RSS grows with
        // each large decode; two arenas keep a long libvips batch flat (measured in make bench).
        mallopt(M_ARENA_MAX, 2)
        #endif
    }
}
