import Foundation

/// Renders a `CoverageReport`'s dataset catalogue as W3C DCAT 3 JSON-LD: one `dcat:Catalog`
/// of `dcat:Dataset`s. 资源名称 → dct:title, 资源代码 → dct:identifier, 提供方 → dct:publisher,
/// 更新周期 → dct:accrualPeriodicity (EU frequency vocabulary), 共享类型 → dct:accessRights
/// (EU access-right vocabulary), and CSV / NDJSON exports as `dcat:distribution`s.
///
/// ```swift
/// let jsonld = try DCATRenderer.render(report)   // feed it to a portal's DCAT harvester
/// ```
public enum DCATRenderer {
    static let frequencyBase = "http://publications.europa.eu/resource/authority/frequency/"
    static let accessRightBase = "http://publications.europa.eu/resource/authority/access-right/"

    /// The EU Publications Office frequency IRI for an update cycle.
    public static func frequencyIRI(_ cycle: String) -> String? {
        let code: String
        switch UpdateCycle(rawValue: cycle) {
        case .realtime?: code = "UPDATE_CONT"
        case .daily?: code = "DAILY"
        case .weekly?: code = "WEEKLY"
        case .monthly?: code = "MONTHLY"
        case .quarterly?: code = "QUARTERLY"
        case .yearly?: code = "ANNUAL"
        case nil: return nil
        }
        return frequencyBase + code
    }

    /// The EU access-right IRI for a share type: 无条件共享 PUBLIC, 有条件共享 RESTRICTED, 不予共享 NON_PUBLIC.
    public static func accessRightsIRI(_ shareType: String) -> String? {
        switch ShareType(rawValue: shareType) {
        case .unconditional?: return accessRightBase + "PUBLIC"
        case .conditional?: return accessRightBase + "RESTRICTED"
        case .none?: return accessRightBase + "NON_PUBLIC"
        case nil: return nil
        }
    }

    public static func render(_ r: CoverageReport) throws -> String {
        let base = "urn:dataflow:\(r.countyCode):"
        func zh(_ s: String) -> [String: Any] { ["@value": s, "@language": "zh"] }
        func dateTime(_ s: String) -> [String: Any] { ["@value": s, "@type": "xsd:dateTime"] }
        var datasets: [[String: Any]] = []
        for d in r.datasets {
            var node: [String: Any] = [
                "@id": base + "dataset:" + d.dataset,
                "@type": "dcat:Dataset",
                "dct:title": zh(d.catalogue.title),
                "dct:identifier": d.catalogue.code,
                "dct:publisher": ["@type": "foaf:Agent", "foaf:name": zh(d.catalogue.provider)],
                "dct:description": zh("\(d.catalogue.title)（\(d.catalogue.provider)，\(d.catalogue.updateCycle)更新，\(d.catalogue.shareType)）"),
                "dcat:distribution": [
                    distribution(base: base, dataset: d.dataset, format: "csv", mediaType: "text/csv", title: "CSV (RFC 4180, UTF-8)"),
                    distribution(base: base, dataset: d.dataset, format: "ndjson", mediaType: nil, title: "NDJSON (one JSON object per line)"),
                ],
            ]
            if let f = frequencyIRI(d.updateCycle) { node["dct:accrualPeriodicity"] = ["@id": f] }
            if let a = accessRightsIRI(d.shareType) { node["dct:accessRights"] = ["@id": a] }
            if let last = d.lastSuccess { node["dct:modified"] = dateTime(last) }
            if !d.matters.isEmpty { node["dcat:keyword"] = d.matters }
            datasets.append(node)
        }
        let catalog: [String: Any] = [
            "@context": [
                "dcat": "http://www.w3.org/ns/dcat#",
                "dct": "http://purl.org/dc/terms/",
                "foaf": "http://xmlns.com/foaf/0.1/",
                "xsd": "http://www.w3.org/2001/XMLSchema#",
            ],
            "@id": base + "catalog",
            "@type": "dcat:Catalog",
            "dct:title": zh("\(r.county)数据回流资源目录"),
            "dct:publisher": ["@id": base + "county", "@type": "foaf:Agent", "foaf:name": zh(r.county), "dct:identifier": r.countyCode],
            "dct:modified": dateTime(r.generatedAt),
            "dcat:dataset": datasets,
        ]
        let data = try JSONSerialization.data(withJSONObject: catalog, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// NDJSON has no IANA media type, so it carries a `dct:format` literal instead of `dcat:mediaType`.
    static func distribution(base: String, dataset: String, format: String, mediaType: String?, title: String) -> [String: Any] {
        var node: [String: Any] = [
            "@id": base + "dataset:" + dataset + ":" + format,
            "@type": "dcat:Distribution",
            "dct:title": title,
            "dct:description": "dataflow export \(dataset) --format \(format)",
            "dct:format": format.uppercased(),
        ]
        if let mediaType { node["dcat:mediaType"] = ["@id": "https://www.iana.org/assignments/media-types/" + mediaType] }
        return node
    }
}
