import Foundation
import Testing

@testable import AnnotateCore
@testable import AnnotateKit
@testable import AnnotateStorage

#if canImport(Glibc)
import Glibc
#endif

/// What every `ObjectStore` must do; each implementation's suite runs these.
enum ObjectStoreConformance {
    static func roundTrips(_ store: any ObjectStore) async throws {
        let key = try ObjectKey("uploads/abc-photo.jpg")
        let bytes = Data((0..<100_000).map { UInt8($0 % 251) })
        #expect(try await store.exists(key) == false)
        try await store.put(bytes, at: key, contentType: "image/jpeg")
        #expect(try await store.exists(key))
        #expect(try await store.get(key) == bytes)
        try await store.put(Data("new".utf8), at: key, contentType: "image/jpeg")
        #expect(try await store.get(key) == Data("new".utf8))
        try await store.delete(key)
        #expect(try await store.exists(key) == false)
        try await store.delete(key)
    }

    static func missingObjectsAreNamed(_ store: any ObjectStore) async throws {
        let key = try ObjectKey("uploads/never-written.jpg")
        await #expect(throws: ObjectStoreError.self) { try await store.get(key) }
        do {
            _ = try await store.get(key)
        } catch let error as ObjectStoreError {
            #expect("\(error)".contains("uploads/never-written.jpg"))
            #expect(!error.isTransient)
        }
    }

    static func keysWithUnusualCharactersRoundTrip(_ store: any ObjectStore) async throws {
        for name in ["with space.jpg", "ünïcödé-東京.jpg", "plus+sign.jpg", "per%cent.jpg", "a..b.jpg"] {
            let key = try ObjectKey("uploads/\(name)")
            try await store.put(Data(name.utf8), at: key, contentType: "image/jpeg")
            #expect(try await store.get(key) == Data(name.utf8))
        }
    }
}

@Suite struct ObjectKeyTests {
    @Test(arguments: ["", "/abs", "a//b", "../x", "uploads/../../x", "uploads/./x", "a/b/", "bad\\key", "nul\0byte"])
    func refusesKeysThatCouldEscape(key: String) {
        #expect(throws: ObjectStoreError.self) { try ObjectKey(key) }
    }

    @Test func thumbnailKeysMirrorTheOriginalsLayout() throws {
        #expect(try ObjectKey.thumbnail(forOriginal: "uploads/ab12-cat.png", fileExtension: "jpg").rawValue == "thumbnails/ab12-cat.jpg")
        #expect(try ObjectKey.thumbnail(forOriginal: "tenant/uploads/x.jpeg", fileExtension: "webp").rawValue == "tenant/thumbnails/x.webp")
        #expect(try ObjectKey.thumbnail(forOriginal: "legacy-name.jpg", fileExtension: "jpg").rawValue == "thumbnails/legacy-name.jpg")
    }
}

@Suite struct FileObjectStoreTests {
    func makeStore() throws -> FileObjectStore {
        try FileObjectStore(root: try Fixtures.temporaryDirectory("store"))
    }

    @Test func conformsRoundTrip() async throws { try await ObjectStoreConformance.roundTrips(try makeStore()) }
    @Test func conformsMissing() async throws { try await ObjectStoreConformance.missingObjectsAreNamed(try makeStore()) }
    @Test func conformsUnusualKeys() async throws { try await ObjectStoreConformance.keysWithUnusualCharactersRoundTrip(try makeStore()) }

    @Test func leavesNoTemporaryFilesAndWritesUnderTheRootOnly() async throws {
        let store = try makeStore()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<20 {
                group.addTask {
                    try await store.put(Data(repeating: UInt8(i), count: 50_000), at: try ObjectKey("uploads/same.jpg"), contentType: "image/jpeg")
                }
            }
            try await group.waitForAll()
        }
        let files = try FileManager.default.subpathsOfDirectory(atPath: store.root.path)
        #expect(files.sorted() == [".incoming", "uploads", "uploads/same.jpg"])
        // Whole objects only: the content is one writer's bytes, never a mix.
        let data = try await store.get(ObjectKey("uploads/same.jpg"))
        #expect(data.count == 50_000 && Set(data).count == 1)
    }

    @Test func temporaryFilesOfKilledWritersAreRemovedOnOpen() throws {
        let store = try makeStore()
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, 255)
        let host = String(cString: name)
        // A writer that died (no such pid), one that lives (this process), and another host's.
        let abandoned = "\(host)-2147483000-\(UUID().uuidString)"
        let live = "\(host)-\(getpid())-\(UUID().uuidString)"
        let foreign = "other-host-2147483000-\(UUID().uuidString)"
        for file in [abandoned, live, foreign] {
            FileManager.default.createFile(atPath: store.incoming.appendingPathComponent(file).path, contents: Data("half".utf8))
        }
        _ = try FileObjectStore(root: store.root)
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: store.incoming.path))
        #expect(left == [live, foreign])
    }

    @Test func anUnwritableRootIsAClearError() throws {
        #expect(throws: ObjectStoreError.self) { try FileObjectStore(root: URL(fileURLWithPath: "/proc/annotate-cannot-exist")) }
    }

    /// What callers ask of a store instead of its type: local files, no presigning, no other origin.
    @Test func itsCapabilitiesAreLocalFilesAndAReachabilityCheck() async throws {
        let store: any ObjectStore = try makeStore()
        let key = try ObjectKey("uploads/cap.jpg")
        try await store.put(Data("bytes".utf8), at: key, contentType: "image/jpeg")
        let file = try #require(store.localFile(for: key))
        #expect(try Data(contentsOf: file) == Data("bytes".utf8))
        #expect(!store.canPresign && store.browserOrigin == nil)
        #expect(try await store.presignedURL(for: key, expires: .seconds(60)) == nil)
        try await store.checkReachable()
        // The folder removed under a running server: /health and doctor say so.
        try FileManager.default.removeItem(at: try #require(store.localFile(for: try ObjectKey("x"))).deletingLastPathComponent())
        await #expect(throws: ObjectStoreError.self) { try await store.checkReachable() }
    }
}
