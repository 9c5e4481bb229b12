export * from './assembly';
export * from './impact';
export * from './report';
export * from './render';
export * from './command';
