export * from './assembly';
export * from './impact';
export * from './report';
export * from './render';
export * from './command';
export * from './intrinsics';
export { ASSET_KEY, withoutAssetKeys, securityChanges } from './security';
export { fieldChanges, ruleFieldChanges, untar } from './rule-fields';
