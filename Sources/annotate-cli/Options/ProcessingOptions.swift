import AnnotateCore
import AnnotateKit
import ArgumentParser

/// How images are processed; shared by `process` and `upload --process`.
struct ProcessingOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "gemini, openai (any OpenAI-compatible server) or metadata (offline). [env: ANNOTATE_ANNOTATOR; default: gemini]", valueName: "name"))
    var annotator: String?

    @Option(
        help: ArgumentHelp("Model for the annotator. [env: GEMINI_MODEL_NAME or OPENAI_MODEL; default: gemini-2.5-flash-lite]", valueName: "name"))
    var model: String?

    @Option(help: ArgumentHelp("Instruction sent with each image. [env: ANNOTATE_PROMPT; default: built in]", valueName: "text"))
    var prompt: String?

    @Option(help: ArgumentHelp("Read the instruction from a file.", valueName: "file"))
    var promptFile: String?

    @Option(help: ArgumentHelp("Long side of the JPEG sent to the annotation API. [default: 768]", valueName: "pixels"))
    var annotateMaxSide: String?

    @Option(help: ArgumentHelp("Start at most this many annotation requests (e.g. 15/min, 2/s).", valueName: "n/min"))
    var rate: String?

    @Option(help: ArgumentHelp("Sampling temperature sent to the model (0-2); not sent unless set.", valueName: "t"))
    var temperature: String?

    @Option(help: ArgumentHelp("How long to wait for one annotation response. [default: 60s; 15m with --service-tier flex]", valueName: "duration"))
    var requestTimeout: String?

    @Option(
        help: ArgumentHelp(
            "standard, or flex: half price on Gemini (serviceTier) and OpenAI (service_tier), slower and sheddable; a shed request is retried. [env: ANNOTATE_SERVICE_TIER; default: standard]",
            valueName: "tier"))
    var serviceTier: String?

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
        values[.model] = model
        values[.prompt] = prompt
        values[.promptFile] = promptFile
        values[.annotateMaxSide] = annotateMaxSide
        values[.rate] = rate
        values[.temperature] = temperature
        values[.requestTimeout] = requestTimeout
        values[.serviceTier] = serviceTier
        values[.thumbnailSize] = thumbnailSize
        values[.thumbnailFormat] = thumbnailFormat
        values[.crop] = crop
        values[.annotationJobs] = annotationJobs
        values[.maxAttempts] = maxAttempts
        values[.lease] = lease
        return values
    }
}
