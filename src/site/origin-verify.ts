// The secret header CloudFront adds to every request it sends the load
// balancer, and the listener rules require: with the security group admitting
// only CloudFront's origin-facing addresses, this is what keeps another
// CloudFront distribution (anyone's) from reaching the app around this one's
// firewall (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/restrict-access-to-load-balancer.html).

export const ORIGIN_VERIFY_HEADER = 'X-Origin-Verify';

/** CloudFront's managed prefix list of the addresses it reaches origins from (one per partition). */
export const CLOUDFRONT_ORIGIN_FACING = 'com.amazonaws.global.cloudfront.origin-facing';
