export * from './schema';
export * from './load';
export * from './instance-types';
export * from './deployed';
export * from './image';
export * from './ecr';
