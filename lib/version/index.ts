export * from './version';
export * from './git';
export * from './stamp';
