import AnnotateKit
import ArgumentParser

/// How images are processed; shared by `process` and `upload --process`.
struct ProcessingOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Annotator: metadata (offline: size, colours, brightness, EXIF). [env: ANNOTATE_ANNOTATOR]", valueName: "name"))
    var annotator: String?

    @Option(help: ArgumentHelp("Box the thumbnail fits in. [env: TARGET_WIDTH, TARGET_HEIGHT; default: 128x128]", valueName: "WxH"))
    var thumbnailSize: String?

    @Option(help: ArgumentHelp("Thumbnail format: jpeg, webp or png. [default: jpeg]", valueName: "format"))
    var thumbnailFormat: String?

    @Option(help: ArgumentHelp("none (fit, keep aspect), centre or attention (fill the box). [default: none]", valueName: "mode"))
    var crop: String?

    @Option(help: ArgumentHelp("Concurrent annotations. [default: 8]", valueName: "n"))
    var annotationJobs: String?

    @Option(help: ArgumentHelp("Attempts per task, counted across runs, before it is failed. [default: 3]", valueName: "n"))
    var maxAttempts: String?

    @Option(help: ArgumentHelp("How long a claimed task stays leased if its worker vanishes (30s, 10m, 1h). [default: 10m]", valueName: "duration"))
    var lease: String?

    var flagValues: [ConfigurationKey: String] {
        var values: [ConfigurationKey: String] = [:]
        values[.annotator] = annotator
        values[.thumbnailSize] = thumbnailSize
        values[.thumbnailFormat] = thumbnailFormat
        values[.crop] = crop
        values[.annotationJobs] = annotationJobs
        values[.maxAttempts] = maxAttempts
        values[.lease] = lease
        return values
    }
}
