/**
 * Names at the door: which channels, cameras and PVs the buffers know
 * (the NameCatalogue port and its cache), the check of a request's names
 * with "did you mean" suggestions, and the search behind `GET /channels`.
 * Pure: the HTTP catalogues live in lib/adapters/buffers/{data-api,archiver}.
 */
export { CachedCatalogue, type CachedCatalogueOptions, type CatalogueAnswer, type NameCatalogue, type NameKind, type NameList } from './catalogue';
export { checkNames, type NameCatalogues, type NameCheck, type NameCheckOptions, type NameCheckRequest, type UnknownName } from './check';
export { boundedDistance, closestOf } from './distance';
export { NameIndex } from './name-index';
export { DEFAULT_SEARCH_KINDS, MAX_SEARCH_LIMIT, nameMatcher, searchNames, type NameHit, type NameSearchQuery, type NameSearchResult, type NotSearched } from './search';
