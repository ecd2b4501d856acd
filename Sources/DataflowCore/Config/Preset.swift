/// Open-data API presets: each fills the request path, paging and record selection, so a
/// dataset gives only the resource (`resource:`) and the mapping. Keys under `request:` still
/// override what the preset fills.
public enum Preset: String, Sendable, CaseIterable {
    /// CKAN `datastore_search`: `resource_id`, `limit`/`offset`, `result.records`, `result.total`.
    case ckan
    /// Socrata SODA: `/resource/ID.json`, `$limit`/`$offset`, `$order=:id`, a bare array.
    case socrata
    /// ArcGIS FeatureServer query: `where=1=1`, `outFields=*`, `resultOffset`/`resultRecordCount`,
    /// `features[].attributes` flattened.
    case arcgis
    /// OData v4: `value`, `@odata.nextLink`.
    case odata
    /// OData v2: `d.results`, `d.__next`.
    case odataV2 = "odata-v2"

    /// The request this preset makes for `resource`.
    public func request(resource: String) -> RequestConfig {
        switch self {
        case .ckan:
            return RequestConfig(path: "/api/3/action/datastore_search", params: [("resource_id", resource)], records: ["result", "records"],
                                 pagination: .offset(PagePagination(pageParam: "offset", sizeParam: "limit", size: 1000, firstPage: 0, totalPath: ["result", "total"])))
        case .socrata:
            return RequestConfig(path: "/resource/\(resource).json", params: [("$order", ":id")], records: [],
                                 pagination: .offset(PagePagination(pageParam: "$offset", sizeParam: "$limit", size: 1000, firstPage: 0, totalPath: nil)))
        case .arcgis:
            var r = RequestConfig(path: "/arcgis/rest/services/\(resource)/FeatureServer/0/query",
                                  params: [("where", "1=1"), ("outFields", "*"), ("f", "json")], records: ["features"],
                                  pagination: .offset(PagePagination(pageParam: "resultOffset", sizeParam: "resultRecordCount", size: 1000, firstPage: 0, totalPath: nil)))
            r.flatten = "attributes"
            return r
        case .odata:
            return RequestConfig(path: resource.hasPrefix("/") ? resource : "/odata/v4/\(resource)", params: [], records: ["value"],
                                 pagination: .nextURL(path: ["@odata.nextLink"]))
        case .odataV2:
            return RequestConfig(path: resource.hasPrefix("/") ? resource : "/odata/v2/\(resource)", params: [("$format", "json")], records: ["d", "results"],
                                 pagination: .nextURL(path: ["d", "__next"]))
        }
    }
}
