// The values a project returns (RunSummary, LoadResult, …) come from the core; re-exported so
// `import LoadKitProject` alone is enough for a job that opens a loadkit.yml.
@_exported import LoadKit
