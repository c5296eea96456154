import Foundation
import Logging
import Testing

@testable import AnnotateAnnotators
@testable import AnnotateCore
@testable import AnnotateExport
@testable import AnnotateImaging
@testable import AnnotateKit
@testable import AnnotateMetadata
@testable import AnnotatePipeline
@testable import AnnotateStorage

@Suite struct GalleryExportTests {
    static let hostileName = "<img src=x onerror=alert(1)>.jpg"
    static let trickyCaption = "A \"quoted\" caption, with commas,\nnewlines\r\nand <b>tags</b> & 'apostrophes'"

    /// Two images: one with a hostile name and a tricky caption, one still pending.
    func exporter() async throws -> (GalleryExporter, URL) {
        let directory = try Fixtures.temporaryDirectory("export")
        let metadata = try SQLiteMetadataStore(path: directory.appendingPathComponent("annotate.db").path)
        let store = try FileObjectStore(root: directory.appendingPathComponent("objects"))
        let uploader = Uploader(metadata: metadata, store: store, limits: .defaults, headers: try VipsHeaderReader(), logger: Logger.quiet)
        let hostile = directory.appendingPathComponent(Self.hostileName)
        try Fixtures.sample("coffee-cup.webp").write(to: hostile)
        let id = try #require(try await uploader.upload(UploadCandidate(path: hostile.path, origin: .named)).id)
        _ = try await uploader.upload(UploadCandidate(path: Fixtures.samples.appendingPathComponent("astronaut.jpg").path, origin: .named))
        let pipeline = Pipeline(
            metadata: metadata, originals: store, thumbnails: store, annotator: try MetadataAnnotator(),
            thumbnailer: try VipsThumbnailer(spec: ThumbnailSpec()), logger: Logger.quiet)
        var options = PipelineOptions()
        options.ids = [id]
        options.tasks = [.thumbnail]
        _ = try await pipeline.run(options) { _ in }
        _ = try await metadata.claim(
            ClaimRequest(worker: "w", tasks: [.annotation], ids: [id], limit: 1, lease: .seconds(60), maxAttempts: 3), at: Date())
        _ = try await metadata.record(
            TaskOutcome(
                id: id, task: .annotation, worker: "w",
                result: .annotated(Annotation(caption: Self.trickyCaption, tags: ["a,b", "c\"d"], model: "m"))), at: Date())
        return (
            GalleryExporter(metadata: metadata, originals: store, thumbnails: store, prices: ListPrices.table, logger: Logger.quiet),
            directory.appendingPathComponent("out")
        )
    }

    @Test func htmlEscapesEverythingAndReferencesNoNetwork() async throws {
        let (exporter, out) = try await exporter()
        let result = try await exporter.export(to: out, format: .html)
        #expect(result.images == 2 && result.missingObjects.isEmpty)
        let pages = try FileManager.default.subpathsOfDirectory(atPath: out.path).filter { $0.hasSuffix(".html") }
        #expect(Set(pages) == ["index.html", "images/1.html", "images/2.html"])
        for page in pages {
            let html = try String(contentsOf: out.appendingPathComponent(page), encoding: .utf8)
            #expect(!html.contains("<img src=x"), "\(page) has the raw file name")
            #expect(!html.contains("<b>tags</b>"))
            #expect(!html.contains("http://") && !html.contains("https://") && !html.contains("//cdn"), "\(page) references the network")
            for reference in Self.references(in: html) {
                #expect(!reference.contains(":"), "\(page): \(reference) is not a relative file reference")
                let target = out.appendingPathComponent(page).deletingLastPathComponent().appendingPathComponent(reference).standardizedFileURL
                #expect(FileManager.default.fileExists(atPath: target.path), "\(page) links to missing \(reference)")
            }
        }
        let index = try String(contentsOf: out.appendingPathComponent("index.html"), encoding: .utf8)
        #expect(index.contains("&lt;img src=x onerror=alert(1)&gt;.jpg"))
        #expect(index.contains("A &quot;quoted&quot; caption"))
        #expect(index.contains("&#39;apostrophes&#39;"))
        #expect(index.contains("status-pending"))
    }

    @Test func jsonParsesBackExactly() async throws {
        let (exporter, out) = try await exporter()
        let result = try await exporter.export(to: out, format: .json)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: result.mainFile)) as? [String: Any])
        let images = try #require(document["images"] as? [[String: Any]])
        #expect(images.count == 2)
        #expect(images[0]["filename"] as? String == Self.hostileName)
        #expect(images[0]["annotation"] as? String == Self.trickyCaption)
        #expect(images[0]["tags"] as? [String] == ["a,b", "c\"d"])
        #expect(images[0]["thumbnail_file"] as? String == "thumbnails/1.jpg")
        #expect(images[1]["annotation"] is NSNull)
        for key in [
            "id", "sha256", "content_type", "size", "width", "height", "model", "annotation_status", "annotation_error",
            "thumbnail_status", "thumbnail_error", "s3_key_original", "s3_key_thumbnail", "attempts", "tokens", "uploaded_at", "updated_at",
        ] {
            #expect(images[1].keys.contains(key), "missing \(key)")
        }
    }

    @Test func csvIsRFC4180AndParsesBackExactly() async throws {
        let (exporter, out) = try await exporter()
        let result = try await exporter.export(to: out, format: .csv)
        let text = try String(contentsOf: result.mainFile, encoding: .utf8)
        let rows = Self.parseCSV(text)
        #expect(rows.count == 3)
        #expect(rows.allSatisfy { $0.count == rows[0].count })
        let column = Dictionary(uniqueKeysWithValues: rows[0].enumerated().map { ($1, $0) })
        #expect(rows[1][column["filename"]!] == Self.hostileName)
        #expect(rows[1][column["annotation"]!] == Self.trickyCaption)
        #expect(rows[1][column["tags"]!] == "a,b; c\"d")
        #expect(text.hasSuffix("\r\n"))
    }

    @Test func formulaLikeFieldsAreNeutralised() {
        #expect(CSVWriter.escape("=HYPERLINK(\"x\")") == "\"'=HYPERLINK(\"\"x\"\")\"")
        #expect(CSVWriter.escape("@sum") == "'@sum")
        #expect(CSVWriter.escape("plain") == "plain")
    }

    /// `src` and `href` attribute values.
    static func references(in html: String) -> [String] {
        let pattern = try! NSRegularExpression(pattern: #"(?:src|href)="([^"]*)""#)
        return pattern.matches(in: html, range: NSRange(html.startIndex..., in: html)).map {
            String(html[Range($0.range(at: 1), in: html)!])
        }
    }

    /// A strict RFC 4180 reader.
    static func parseCSV(_ text: String) -> [[String]] {
        var rows: [[String]] = [], row: [String] = [], field = "", quoted = false
        var chars = Array(text.unicodeScalars)[...]
        while let c = chars.popFirst() {
            if quoted {
                if c == "\"" {
                    if chars.first == "\"" {
                        field.unicodeScalars.append("\"")
                        chars.removeFirst()
                    } else {
                        quoted = false
                    }
                } else {
                    field.unicodeScalars.append(c)
                }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                row.append(field)
                field = ""
            } else if c == "\r" && chars.first == "\n" {
                chars.removeFirst()
                row.append(field)
                rows.append(row)
                row = []
                field = ""
            } else {
                field.unicodeScalars.append(c)
            }
        }
        return rows
    }
}
