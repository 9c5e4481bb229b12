export * from './problem';
export * from './yaml11';
export * from './compile';
export * from './validate';
export * from './bundle';
export * from './tar';
export { ruleSchema, ELASTALERT_SCHEMA_FILE } from './schema';
export { ALERTER_REQUIRED_OPTIONS, SECRET_FIELDS, RULE_TYPES } from './catalog';
export * from './environment';
