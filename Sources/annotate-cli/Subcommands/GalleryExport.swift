import AnnotateCore
import AnnotateExport
import AnnotateKit
import ArgumentParser
import Foundation

struct GalleryExport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export the gallery as a static site, gallery.json or gallery.csv.",
        discussion: "The HTML export is self-contained: thumbnails and originals are copied in and it opens from file:// with no network.")

    @Argument(help: ArgumentHelp("Directory to write into (created if missing).", valueName: "outdir"))
    var outdir: String

    @Option(help: ArgumentHelp("html, json or csv. [default: html]", valueName: "format"))
    var format: String = "html"

    @Option(
        help: ArgumentHelp(
            "copy: copy thumbnails and originals into the output; presign: link to them with presigned S3 URLs. [default: copy]", valueName: "mode"))
    var links: String = "copy"

    @Option(help: ArgumentHelp("How long presigned URLs stay valid, 1s to 7d. [default: 7d]", valueName: "duration"))
    var expires: String = "7d"

    @OptionGroup(title: "Global options") var global: GlobalOptions

    func validate() throws {
        guard GalleryExporter.Format(rawValue: format) != nil else {
            throw ValidationError("--format takes html, json or csv, not \(format.debugDescription)")
        }
        guard links == "copy" || links == "presign" else {
            throw ValidationError("--links takes copy or presign, not \(links.debugDescription)")
        }
        guard let duration = Quantity.duration(expires), duration >= .seconds(1), duration <= .seconds(604_800) else {
            throw ValidationError("--expires takes a duration from 1s to 7d (S3's limit), e.g. 1h or 7d, not \(expires.debugDescription)")
        }
    }

    var linkMode: GalleryExporter.Links {
        links == "presign" ? .presign(expires: Quantity.duration(expires)!) : .copy
    }

    func run() async throws {
        try await reportingErrors {
            try await global.withComponents { components in
                let output = Output(json: global.json, quiet: global.quiet)
                let exporter = GalleryExporter(
                    metadata: components.metadata, originals: components.originals,
                    thumbnails: components.thumbnails, prices: components.configuration.prices, logger: components.logger)
                try await components.verifyStores()
                let result = try await exporter.export(
                    to: URL(fileURLWithPath: outdir), format: GalleryExporter.Format(rawValue: format)!,
                    links: linkMode)
                for key in result.missingObjects { output.message("annotate: object \(key) is missing from the store") }
                if global.json {
                    await output.result(json: ["path": result.mainFile.path, "images": String(result.images)])
                } else {
                    await output.result(result.mainFile.path)
                }
            }
        }
    }
}
