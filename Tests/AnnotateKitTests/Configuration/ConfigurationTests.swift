import Foundation
import Testing

@testable import AnnotateAnnotators
@testable import AnnotateCore
@testable import AnnotateKit
@testable import AnnotateMetadata
@testable import AnnotatePipeline
@testable import AnnotateWeb

@Suite struct ConfigurationTests {
    let environment = ["HOME": "/home/u"]

    @Test func defaultsFollowXDGAndTheHome() throws {
        let plain = try Configuration.resolve(flags: [:], environment: environment)
        #expect(plain.home.path == "/home/u/.local/share/annotate")
        #expect(plain.database == .sqlite(path: "/home/u/.local/share/annotate/annotate.db"))
        #expect(plain.store == .file(directory: "/home/u/.local/share/annotate/objects"))
        #expect(plain.thumbnailStore == plain.store)
        #expect(plain.thumbnail == ThumbnailSpec(width: 128, height: 128, format: .jpeg, crop: .none))
        #expect(plain.limits == IntakeLimits(maxBytes: 100 << 20, maxPixels: 100_000_000))
        #expect(plain.annotationJobs == 8 && plain.maxAttempts == 3 && plain.lease == .seconds(600))
        let xdg = try Configuration.resolve(flags: [:], environment: ["XDG_DATA_HOME": "/data"])
        #expect(xdg.database == .sqlite(path: "/data/annotate/annotate.db"))
    }

    @Test func flagBeatsEnvironmentBeatsFileBeatsDefault() throws {
        let file = try Fixtures.temporaryDirectory("config").appendingPathComponent("annotate.toml")
        try """
        # settings for the batch host
        jobs = 3
        annotation-jobs = 5
        thumbnail-format = "webp"
        crop = 'centre'   # literal string
        db = "sqlite:/from/file.db"
        """.write(to: file, atomically: true, encoding: .utf8)
        let env = environment.merging(["ANNOTATE_DB": "sqlite:/from/env.db", "ANNOTATE_CONFIG": file.path]) { $1 }
        let fromFile = try Configuration.resolve(flags: [:], environment: env)
        #expect(fromFile.jobs == 3 && fromFile.annotationJobs == 5)
        #expect(fromFile.thumbnail.format == .webp && fromFile.thumbnail.crop == .centre)
        #expect(fromFile.database == .sqlite(path: "/from/env.db"))
        let fromFlag = try Configuration.resolve(flags: [.db: "sqlite:/from/flag.db", .jobs: "7"], environment: env)
        #expect(fromFlag.database == .sqlite(path: "/from/flag.db") && fromFlag.jobs == 7)
    }

    @Test func theOriginalDeploymentsThumbnailVariables() throws {
        let both = try Configuration.resolve(flags: [:], environment: ["TARGET_WIDTH": "200", "TARGET_HEIGHT": "150"])
        #expect(both.thumbnail.width == 200 && both.thumbnail.height == 150)
        let one = try Configuration.resolve(flags: [:], environment: ["TARGET_WIDTH": "300"])
        #expect(one.thumbnail.width == 300 && one.thumbnail.height == 300)
        let flag = try Configuration.resolve(flags: [.thumbnailSize: "64x32"], environment: ["TARGET_WIDTH": "300"])
        #expect(flag.thumbnail.width == 64 && flag.thumbnail.height == 32)
    }

    @Test func aBadFlagIsAUsageErrorAndABadEnvironmentValueAConfigurationError() throws {
        do {
            _ = try Configuration.resolve(flags: [.thumbnailSize: "big"], environment: environment)
            Issue.record("expected an error")
        } catch let error as ConfigurationError {
            #expect(error.exitStatus == .usage)
            #expect(error.description == "invalid --thumbnail-size: \"big\" is not a size; write WIDTHxHEIGHT, e.g. 128x128")
        }
        do {
            _ = try Configuration.resolve(flags: [:], environment: ["TARGET_WIDTH": "-5"])
            Issue.record("expected an error")
        } catch let error as ConfigurationError {
            #expect(error.exitStatus == .configuration)
            #expect(error.description.contains("TARGET_WIDTH"))
        }
        do {
            _ = try Configuration.resolve(flags: [:], environment: ["ANNOTATE_ANNOTATOR": "magic"])
            Issue.record("expected an error")
        } catch let error as ConfigurationError {
            #expect(error.exitStatus == .configuration)
            #expect(error.description.contains("ANNOTATE_ANNOTATOR"))
        }
    }

    @Test func configFileMistakesNameTheFileAndKey() throws {
        let directory = try Fixtures.temporaryDirectory("badconfig")
        for (text, expected) in [
            ("jobs = \"many\"", "jobs in"), ("colour = \"red\"", "unknown setting"),
            ("[process]\njobs = 2", "the only tables are [prices."), ("jobs = [1, 2]", "arrays"),
        ] {
            let file = directory.appendingPathComponent("c-\(UUID().uuidString).toml")
            try text.write(to: file, atomically: true, encoding: .utf8)
            do {
                _ = try Configuration.resolve(flags: [:], configFile: file.path, environment: environment)
                Issue.record("expected an error for \(text)")
            } catch let error as ConfigurationError {
                #expect(error.description.contains(expected), "\(error)")
                #expect(error.description.contains(file.path))
                #expect(error.exitStatus == .configuration)
            }
        }
        #expect(throws: ConfigurationError.self) {
            try Configuration.resolve(flags: [:], configFile: directory.appendingPathComponent("missing.toml").path, environment: environment)
        }
    }

    @Test func tomlStringsUnescape() throws {
        let entries = try TOMLSubset.parse(#"home = "/tmp/a \"b\"\u00e9\n" # comment"#, path: "x")
        #expect(entries.first?.value == "/tmp/a \"b\"é\n")
    }

    /// The docs cannot drift from the key table: README and the man page name every setting the
    /// config file and flags know, and every environment variable that sets one.
    @Test func readmeAndManPageNameEveryKeyAndVariable() throws {
        let readme = try String(contentsOf: Fixtures.repository.appendingPathComponent("README.md"), encoding: .utf8)
        let man = try String(contentsOf: Fixtures.repository.appendingPathComponent("man/annotate.1"), encoding: .utf8)
            .replacingOccurrences(of: "\\-", with: "-")
        // Settings of the config file and environment only, with no flag of their own.
        let fileOnly: Set<ConfigurationKey> = [.logLevel]
        for key in ConfigurationKey.allCases {
            let written = fileOnly.contains(key) ? key.rawValue : "--\(key.rawValue)"
            #expect(readme.contains(written), "README lacks \(written)")
            #expect(man.contains(written), "the man page lacks \(written)")
            for name in key.environmentNames {
                #expect(readme.contains(name) && man.contains(name), "README or the man page lacks \(name)")
            }
        }
    }

    /// The one table is made of the subsystems' own keys, each once.
    @Test func theKeyTableHoldsEverySubsystemsKeysOnce() {
        let names = ConfigurationKey.allCases.map(\.rawValue)
        #expect(Set(names).count == names.count, "a key is declared twice: \(names)")
        let owned =
            WebSettings.settingKeys + IntakeLimits.settingKeys + ThumbnailSpec.settingKeys
            + DatabaseLocation.settingKeys + AnnotationSettings.settingKeys
        #expect(owned.allSatisfy(ConfigurationKey.allCases.contains))
        #expect(ConfigurationKey(rawValue: "max-upload-mb") == WebSettings.Keys.maxUploadMB)
        #expect(ConfigurationKey(rawValue: "no-such-setting") == nil)
    }

    /// A subsystem reads its settings from any source, with no configuration layering around it.
    @Test func subsystemsParseTheirOwnSettings() throws {
        struct Given: SettingsSource {
            var values: [String: String] = [:]
            var environment: [String: String] = [:]
            func raw(_ key: SettingKey) -> (text: String, source: ConfigurationSource)? {
                values[key.rawValue].map { ($0, .flag(key.rawValue)) }
            }
            func isFlag(_ key: SettingKey) -> Bool { values[key.rawValue] != nil }
        }
        let web = try WebSettings(from: Given(values: ["port": "9090", "allowed-host": "a.example, b.example", "no-process": "yes"]))
        #expect(web.port == 9090 && web.allowedHosts == ["a.example", "b.example"] && !web.processUploads && web.host == "127.0.0.1")
        #expect(throws: ConfigurationError.self) { try WebSettings(from: Given(values: ["port": "http"])) }
        let limits = try IntakeLimits(from: Given(values: ["max-bytes": "5MB"]))
        #expect(limits.maxBytes == 5 << 20 && limits.maxPixels == IntakeLimits.defaults.maxPixels)
        // The original deployment's TARGET_WIDTH alone makes a square box; a flag outranks it.
        #expect(try ThumbnailSpec(from: Given(environment: ["TARGET_WIDTH": "200"])).height == 200)
        #expect(try ThumbnailSpec(from: Given(values: ["thumbnail-size": "64x32"], environment: ["TARGET_WIDTH": "200"])).width == 64)
        let legacy = try DatabaseLocation(
            from: Given(environment: ["DB_HOST": "db.internal", "DB_NAME": "images", "DB_USER": "app"]), default: "sqlite:/x.db")
        #expect(legacy.description.hasPrefix("mysql://app@db.internal"))
        let annotation = try AnnotationSettings(
            from: Given(values: ["model": "m-1"], environment: ["GEMINI_MODEL_NAME": "ignored"]),
            modelVariable: "GEMINI_MODEL_NAME", modelInURLPath: true)
        #expect(annotation.model == "m-1")
    }

    @Test func locationsNeedTheirSchemeAndBadOnesNameTheValueAndTheForms() throws {
        #expect(throws: ConfigurationError.self) { try Configuration.resolve(flags: [.db: "postgres://x"], environment: environment) }
        let written = try Configuration.resolve(flags: [.store: "file:/srv/objects", .db: "sqlite:/srv/a.db"], environment: environment)
        #expect(written.store == .file(directory: "/srv/objects") && written.database == .sqlite(path: "/srv/a.db"))
        // A value without a scheme would otherwise become a file in the working directory.
        for (key, value, forms) in [
            (ConfigurationKey.db, "not a url", "sqlite:PATH or mysql://"), (.db, "/srv/a.db", "sqlite:PATH"),
            (.store, "not a url", "file:DIR or s3://"), (.thumbnailStore, "objects", "file:DIR or s3://"),
        ] {
            do {
                _ = try Configuration.resolve(flags: [key: value], environment: environment)
                Issue.record("\(key) \(value) was accepted")
            } catch let error as ConfigurationError {
                #expect(
                    error.exitStatus == .usage && error.description.contains(value.debugDescription) && error.description.contains(forms),
                    "\(error)")
            }
        }
        do {
            _ = try Configuration.resolve(flags: [:], environment: environment.merging(["ANNOTATE_DB": "not a url"]) { $1 })
            Issue.record("ANNOTATE_DB was accepted")
        } catch let error as ConfigurationError {
            #expect(error.exitStatus == .configuration && error.description.contains("ANNOTATE_DB"))
        }
    }
}

@Suite struct QuantityTests {
    @Test func durations() {
        #expect(Quantity.duration("30s") == .seconds(30))
        #expect(Quantity.duration("10m") == .seconds(600))
        #expect(Quantity.duration("1h") == .seconds(3600))
        #expect(Quantity.duration("7d") == .seconds(604_800))
        #expect(Quantity.duration("250ms") == .milliseconds(250))
        #expect(Quantity.duration("1.5s") == .milliseconds(1500))
        #expect(Quantity.duration("soon") == nil)
        #expect(Quantity.duration("-1s") == nil)
        for absurd in ["1e300s", "1e300", "1e20ms", "inf", "nan s", "1e13d"] {
            #expect(Quantity.duration(absurd) == nil, "\(absurd) is refused, not a crash")
        }
        #expect(Quantity.format(.seconds(600)) == "10m")
    }

    @Test func sizesAndPixels() {
        #expect(Quantity.bytes("100MB") == 104_857_600)
        #expect(Quantity.bytes("5000") == 5000)
        #expect(Quantity.bytes("1.5 KB") == 1536)
        #expect(Quantity.bytes("0") == nil)
        #expect(Quantity.bytes("lots") == nil)
        #expect(Quantity.pixels("100MP") == 100_000_000)
        #expect(Quantity.pixels("24000000") == 24_000_000)
    }

    @Test func timestampsRoundTrip() {
        let date = Date(timeIntervalSince1970: 1_800_000_123)
        #expect(Timestamp.parse(Timestamp.databaseText(date)) == date)
        #expect(Timestamp.iso8601(date) == "2027-01-15T08:02:03Z")
        #expect(Timestamp.httpDate(date) == "Fri, 15 Jan 2027 08:02:03 GMT")
        #expect(Timestamp.parse("2027-01-15T08:02:03.456Z") == date)
    }

    @Test func s3StoresAndTheStandardAWSVariables() throws {
        let configuration = try Configuration.resolve(
            flags: [.store: "s3://photos/tenant/a/"],
            environment: [
                "THUMBNAIL_BUCKET_NAME": "photos-thumbs", "AWS_ENDPOINT_URL": "http://all:1", "AWS_ENDPOINT_URL_S3": "http://s3only:9000",
                "AWS_SECRET_ACCESS_KEY": "s", "GEMINI_API_KEY": "not-for-aws", "HOME": "/home/u",
            ])
        #expect(configuration.store == .s3(bucket: "photos", prefix: "tenant/a"))
        #expect(configuration.store.description == "s3://photos/tenant/a")
        #expect(configuration.thumbnailStore == .s3(bucket: "photos-thumbs", prefix: ""))
        #expect(configuration.aws.s3Endpoint == URL(string: "http://s3only:9000"))
        // SQS has no variable of its own here: the shared one applies.
        #expect(configuration.aws.sqsEndpoint == URL(string: "http://all:1"))
        #expect(Set(configuration.aws.environment.keys) == ["AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_SECRET_ACCESS_KEY", "HOME"])
        let ignored = try Configuration.resolve(
            flags: [:], environment: ["AWS_ENDPOINT_URL": "http://x:1", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"])
        #expect(ignored.aws.s3Endpoint == nil && ignored.aws.sqsEndpoint == nil)
        for bad in ["s3://", "s3://UPPER", "s3://ab", "s3://-dash"] {
            #expect(throws: ConfigurationError.self) { try Configuration.resolve(flags: [.store: bad], environment: [:]) }
        }
    }
}
