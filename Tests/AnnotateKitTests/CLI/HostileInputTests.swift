import Foundation
import Testing

@testable import AnnotateImaging
@testable import AnnotateKit

/// The generated hostile corpus through the binary: every file is rejected or fails with a reason,
/// nothing crashes, memory stays bounded, and hostile file names never reach a key or a terminal.
@Suite struct HostileInputTests {
    @Test func everyHostileFileIsRefusedOrFailsWithAReasonInBoundedMemory() throws {
        let binary = Binary(home: try Fixtures.temporaryDirectory("hostile"))
        let folder = try Fixtures.temporaryDirectory("hostile-files")
        var paths: [String] = []
        for (name, data) in try HostileCorpus.files() {
            let url = folder.appendingPathComponent(name)
            try data.write(to: url)
            paths.append(url.path)
        }
        // Names: a 255-byte one, control characters (an ANSI escape among them), and a path through "..".
        let long = folder.appendingPathComponent(String(repeating: "é", count: 125) + ".jpg")  // 250 + 4 bytes
        let control = folder.appendingPathComponent("bad\u{1}name\u{1B}[31m\ttab.jpg")
        try Fixtures.sample("astronaut.jpg").write(to: long)
        try (Fixtures.sample("fig-bowl.jpg") + Data("x".utf8)).write(to: control)
        let sub = folder.appendingPathComponent("sub")
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        paths += [long.path, control.path, sub.path + "/../" + "bomb.png"]

        let upload = try binary.run(["upload", "--json"] + paths)
        #expect(upload.status == 1, "some files must be rejected")
        let lines = try upload.json()
        #expect(lines.count == paths.count)
        for line in lines where line["status"] as? String == "rejected" {
            #expect(!(line["reason"] as? String ?? "").isEmpty, "\(line)")
        }
        let rejected = Set(
            lines.filter { $0["status"] as? String == "rejected" }.compactMap { ($0["file"] as? String).map { ($0 as NSString).lastPathComponent } })
        for must in [
            "bomb.png", "bomb.jpg", "bomb.webp", "many-frames.gif", "vector.svg", "document.pdf", "svg-named.jpg", "polyglot-html.jpg", "empty.png",
        ] {
            #expect(rejected.contains(must), "\(must) must be rejected: \(lines)")
        }
        // Text output never prints a control character from a file name.
        let text = try binary.run(["upload", control.path])
        #expect(!text.stdout.contains("\u{1B}") && !text.stdout.contains("\u{1}"), "\(text.stdout.debugDescription)")

        let process = try binary.measure(["process"])
        #expect(process.status == 0 || process.status == 1)
        #expect(process.peakResidentMB < 400, "process peaked at \(process.peakResidentMB) MB")
        let records = try binary.run(["status", "--json"] + (1...20).map(String.init)).json()
        #expect(!records.isEmpty)
        let unusual = records.compactMap { $0["filename"] as? String }.filter(HostileCorpus.mustComplete.contains)
        #expect(Set(unusual) == Set(HostileCorpus.mustComplete), "CMYK and 16-bit images must be accepted: \(unusual)")
        for record in records {
            let annotation = record["annotation_status"] as? String ?? "", thumbnail = record["thumbnail_status"] as? String ?? ""
            #expect(["completed", "failed"].contains(annotation) && ["completed", "failed"].contains(thumbnail), "\(record)")
            if thumbnail == "failed" { #expect(!(record["thumbnail_error"] as? String ?? "").isEmpty) }
            if HostileCorpus.mustComplete.contains(record["filename"] as? String ?? "") {
                #expect(thumbnail == "completed", "\(record)")
                let key = try #require(record["s3_key_thumbnail"] as? String)
                let bytes = try Data(contentsOf: binary.home.appendingPathComponent("objects").appendingPathComponent(key))
                let (interpretation, bands) = bytes.withUnsafeBytes { raw in
                    let image = VipsImage(header: raw)
                    return (image?.string("interpretation"), image?.string("bands"))
                }
                // libvips names the enum: "((VipsInterpretation) VIPS_INTERPRETATION_sRGB)".
                #expect(interpretation?.hasSuffix("_sRGB)") == true && bands == "3", "\(key): \(interpretation ?? "?") with \(bands ?? "?") bands")
            }
            let key = record["s3_key_original"] as? String ?? ""
            #expect(!key.contains("..") && !key.unicodeScalars.contains { $0.value < 0x20 } && key.utf8.count < 300, "\(key)")
        }
    }
}
