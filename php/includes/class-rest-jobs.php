<?php
/**
 * REST routes of bulk-sync jobs: POST/GET .../inventory/bulk-sync/jobs, GET/DELETE .../inventory/bulk-sync/jobs/{id}.
 *
 * @package Mulopimfwc_Bulk_Sync
 */

defined( 'ABSPATH' ) || exit;

/**
 * The jobs routes, with the same authentication as the other routes.
 */
class Mulopimfwc_Bulk_Sync_REST_Jobs {

	const ROUTE     = '/inventory/bulk-sync/jobs';
	const ROUTE_ONE = '/inventory/bulk-sync/jobs/(?P<id>[\d]+)';

	/**
	 * The bulk-sync controller (authentication, principal, dry_run flag).
	 *
	 * @var Mulopimfwc_Bulk_Sync_REST_Controller
	 */
	private $controller;

	/**
	 * Constructor.
	 *
	 * @param Mulopimfwc_Bulk_Sync_REST_Controller $controller Controller.
	 */
	public function __construct( $controller ) {
		$this->controller = $controller;
	}

	/**
	 * Register hooks.
	 */
	public function hooks() {
		// Before the REST server reads the body (WP_REST_Server::get_raw_data(), the whole body as one string).
		add_action( 'rest_api_init', array( __CLASS__, 'keep_body_unread' ), -1000 );
		add_action( 'rest_api_init', array( $this, 'register_routes' ) );
	}

	/**
	 * A POST to the jobs collection: WordPress must not read its body into memory (a job's body may be
	 * gigabytes); the route's handler streams it from php://input after authentication. WordPress reads
	 * `$HTTP_RAW_POST_DATA` instead of php://input when it is set.
	 */
	public static function keep_body_unread() {
		if ( ! self::is_job_upload() ) {
			return;
		}
		$GLOBALS['HTTP_RAW_POST_DATA'] = ''; // phpcs:ignore WordPress.WP.GlobalVariablesOverride.Prohibited
	}

	/**
	 * Whether this HTTP request is a POST to the jobs collection (pretty permalinks or ?rest_route=).
	 *
	 * @return bool
	 */
	private static function is_job_upload() {
		$method = isset( $_SERVER['REQUEST_METHOD'] ) ? strtoupper( sanitize_text_field( wp_unslash( $_SERVER['REQUEST_METHOD'] ) ) ) : '';
		if ( 'POST' !== $method ) {
			return false;
		}
		$route = '';
		if ( isset( $_GET['rest_route'] ) && is_string( $_GET['rest_route'] ) ) { // phpcs:ignore WordPress.Security.NonceVerification.Recommended
			$route = sanitize_text_field( wp_unslash( $_GET['rest_route'] ) ); // phpcs:ignore WordPress.Security.NonceVerification.Recommended
		} elseif ( isset( $_SERVER['REQUEST_URI'] ) ) {
			$path   = (string) wp_parse_url( (string) wp_unslash( $_SERVER['REQUEST_URI'] ), PHP_URL_PATH ); // phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- compared only.
			$prefix = '/' . trim( rest_get_url_prefix(), '/' ) . '/';
			$at     = strpos( $path, $prefix );
			$route  = false === $at ? '' : '/' . substr( $path, $at + strlen( $prefix ) );
		}
		$want = '/' . Mulopimfwc_Bulk_Sync_REST_Controller::REST_NAMESPACE . self::ROUTE;
		return 0 === strcasecmp( untrailingslashit( $route ), $want );
	}

	/**
	 * Register the routes.
	 */
	public function register_routes() {
		$ns   = Mulopimfwc_Bulk_Sync_REST_Controller::REST_NAMESPACE;
		$auth = array( $this->controller, 'permissions_check' );
		$int  = static function ( $description, $default, $max ) {
			return array(
				'description'       => $description,
				'type'              => 'integer',
				'minimum'           => 1,
				'maximum'           => $max,
				'default'           => $default,
				'validate_callback' => 'rest_validate_request_arg',
				'sanitize_callback' => 'absint',
			);
		};
		register_rest_route(
			$ns,
			self::ROUTE,
			array(
				array(
					'methods'             => 'POST',
					'callback'            => array( $this, 'create_job' ),
					'permission_callback' => $auth,
					'args'                => array(
						'dry_run' => array(
							'description' => __( 'Validate and report every chunk without writing (as bulk-sync\'s dry_run).', 'mulopimfwc-bulk-sync' ),
							'type'        => array( 'boolean', 'string', 'integer' ),
						),
					),
				),
				array(
					'methods'             => 'GET',
					'callback'            => array( $this, 'list_jobs' ),
					'permission_callback' => $auth,
					'args'                => array(
						'page'     => $int( __( 'Page of jobs, newest first.', 'mulopimfwc-bulk-sync' ), 1, PHP_INT_MAX ),
						'per_page' => $int( __( 'Jobs per page.', 'mulopimfwc-bulk-sync' ), 20, 100 ),
						'state'    => array(
							'description'       => __( 'Only jobs in this state.', 'mulopimfwc-bulk-sync' ),
							'type'              => 'string',
							'enum'              => array( 'queued', 'running', 'done', 'failed', 'cancelled' ),
							'validate_callback' => 'rest_validate_request_arg',
						),
					),
				),
				'schema' => array( __CLASS__, 'job_schema' ),
			),
			true
		);
		register_rest_route(
			$ns,
			self::ROUTE_ONE,
			array(
				array(
					'methods'             => 'GET',
					'callback'            => array( $this, 'get_job' ),
					'permission_callback' => $auth,
					'args'                => array(
						'page'     => $int( __( 'Page of the failed items.', 'mulopimfwc-bulk-sync' ), 1, PHP_INT_MAX ),
						'per_page' => $int( __( 'Failed items per page.', 'mulopimfwc-bulk-sync' ), 100, 1000 ),
					),
				),
				array(
					'methods'             => 'DELETE',
					'callback'            => array( $this, 'cancel_job' ),
					'permission_callback' => $auth,
				),
				'schema' => array( __CLASS__, 'job_schema' ),
			),
			true
		);
	}

	/**
	 * POST .../jobs: stream the body into a new job; 202 with its status and Location.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function create_job( $request ) {
		$type   = $request->get_content_type();
		$format = Mulopimfwc_Bulk_Sync_Job_Intake::format_for_content_type( is_array( $type ) && isset( $type['value'] ) ? $type['value'] : null );
		if ( is_wp_error( $format ) ) {
			return $format;
		}
		$dry = Mulopimfwc_Bulk_Sync_REST_Controller::query_dry_run( $request );
		if ( is_wp_error( $dry ) ) {
			return $dry;
		}
		$too_big = self::body_over_limit();
		if ( is_wp_error( $too_big ) ) {
			return $too_big;
		}
		$body = $request->get_body();
		// The streamed body (php://input), or the body WordPress was handed (an internal rest_do_request()).
		$stream = '' !== (string) $body ? fopen( 'php://memory', 'w+b' ) : fopen( 'php://input', 'rb' ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_operations_fopen
		if ( ! $stream ) {
			return new WP_Error( 'invalid_data', __( 'The request body could not be read.', 'mulopimfwc-bulk-sync' ), array( 'status' => 400 ) );
		}
		if ( '' !== (string) $body ) {
			fwrite( $stream, (string) $body ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_operations_fwrite
			rewind( $stream );
		}
		$body_hash = null;
		if ( null !== $request->get_header( 'idempotency_key' ) ) {
			$ctx = hash_init( 'sha256' );
			hash_update_stream( $ctx, $stream );
			$body_hash = hash_final( $ctx );
			rewind( $stream );
		}
		$principal = Mulopimfwc_Bulk_Sync_REST_Controller::principal( $request );
		return Mulopimfwc_Bulk_Sync_Idempotency::run(
			$request,
			$principal,
			static function () use ( $stream, $format, $dry, $principal ) {
				$job = Mulopimfwc_Bulk_Sync_Jobs::create(
					$stream,
					$format,
					array(
						'source'    => 'rest',
						'principal' => $principal,
						'dry_run'   => $dry,
					)
				);
				fclose( $stream ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_operations_fclose
				if ( is_wp_error( $job ) ) {
					return $job;
				}
				$response = new WP_REST_Response( $job, 202 );
				$response->header( 'Location', self::job_url( (int) $job['id'] ) );
				return $response;
			},
			$body_hash
		);
	}

	/**
	 * PHP drops a body larger than post_max_size (php://input is then empty): say so instead of "empty body".
	 *
	 * @return true|WP_Error
	 */
	private static function body_over_limit() {
		$length = isset( $_SERVER['CONTENT_LENGTH'] ) ? (int) $_SERVER['CONTENT_LENGTH'] : 0;
		$limit  = wp_convert_hr_to_bytes( (string) ini_get( 'post_max_size' ) );
		if ( $limit > 0 && $length > $limit ) {
			return new WP_Error(
				'body_too_large',
				/* translators: 1: body size in bytes, 2: PHP's post_max_size. */
				sprintf( __( 'The body (%1$d bytes) is larger than PHP accepts (post_max_size = %2$s): raise post_max_size (and the web server\'s body limit), or create the job with WP-CLI (`wp mulopimfwc bulk-sync FILE --async`).', 'mulopimfwc-bulk-sync' ), $length, (string) ini_get( 'post_max_size' ) ),
				array( 'status' => 413 )
			);
		}
		return true;
	}

	/**
	 * The status URL of a job.
	 *
	 * @param int $id Job.
	 * @return string
	 */
	public static function job_url( $id ) {
		return rest_url( Mulopimfwc_Bulk_Sync_REST_Controller::REST_NAMESPACE . '/inventory/bulk-sync/jobs/' . (int) $id );
	}

	/**
	 * GET .../jobs/{id}: the status with a page of failed items (X-WP-Total / X-WP-TotalPages count them).
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function get_job( $request ) {
		$status = Mulopimfwc_Bulk_Sync_Jobs::get( (int) $request['id'], (int) $request['page'], (int) $request['per_page'] );
		if ( is_wp_error( $status ) ) {
			return $status;
		}
		$response = new WP_REST_Response( $status, 200 );
		$response->header( 'X-WP-Total', (string) $status['failed_total'] );
		$response->header( 'X-WP-TotalPages', (string) $status['failed_pages'] );
		return $response;
	}

	/**
	 * DELETE .../jobs/{id}: cancel what has not started.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public function cancel_job( $request ) {
		$status = Mulopimfwc_Bulk_Sync_Jobs::cancel( (int) $request['id'] );
		return is_wp_error( $status ) ? $status : new WP_REST_Response( $status, 200 );
	}

	/**
	 * GET .../jobs: recent jobs, newest first (X-WP-Total / X-WP-TotalPages).
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response
	 */
	public function list_jobs( $request ) {
		$per_page = (int) $request['per_page'];
		$list     = Mulopimfwc_Bulk_Sync_Jobs::list_jobs(
			array(
				'page'     => (int) $request['page'],
				'per_page' => $per_page,
				'state'    => (string) $request['state'],
			)
		);
		$response = new WP_REST_Response( $list['jobs'], 200 );
		$response->header( 'X-WP-Total', (string) $list['total'] );
		$response->header( 'X-WP-TotalPages', (string) (int) ceil( $list['total'] / max( 1, $per_page ) ) );
		return $response;
	}

	/**
	 * The schema of a job's status.
	 *
	 * @return array
	 */
	public static function job_schema() {
		$count  = array( 'type' => 'integer' );
		$time   = array( 'type' => array( 'string', 'null' ), 'format' => 'date-time' );
		$counts = static function ( array $names ) use ( $count ) {
			return array(
				'type'       => 'object',
				'properties' => array_fill_keys( $names, $count ),
			);
		};
		return array(
			'$schema'    => 'http://json-schema.org/draft-04/schema#',
			'title'      => 'mulopimfwc-bulk-sync-job',
			'type'       => 'object',
			'properties' => array(
				'id'           => $count,
				'state'        => array(
					'type' => 'string',
					'enum' => array( 'queued', 'running', 'done', 'failed', 'cancelled' ),
				),
				'format'       => array(
					'type' => 'string',
					'enum' => array( 'json', 'ndjson', 'csv' ),
				),
				'dry_run'      => array( 'type' => 'boolean' ),
				'source'       => array( 'type' => 'string' ),
				'file_name'    => array( 'type' => 'string' ),
				'created_at'   => $time,
				'started_at'   => $time,
				'finished_at'  => $time,
				'cancelled_at' => $time,
				'items'        => $counts( array( 'total', 'processed', 'succeeded', 'failed' ) ),
				'chunks'       => $counts( array( 'total', 'size', 'pending', 'done', 'failed', 'cancelled' ) ),
				'timings'      => array(
					'type'       => 'object',
					'properties' => array(
						'wait_seconds'     => $count,
						'run_seconds'      => $count,
						'items_per_second' => array( 'type' => array( 'number', 'null' ) ),
					),
				),
				'items_failed' => array(
					'type'  => 'array',
					'items' => array(
						'type'       => 'object',
						'properties' => array(
							'index'   => $count,
							'line'    => array( 'type' => array( 'integer', 'null' ) ),
							'code'    => array( 'type' => 'string' ),
							'field'   => array( 'type' => 'string' ),
							'message' => array( 'type' => 'string' ),
						),
					),
				),
				'errors'       => array(
					'type'  => 'array',
					'items' => array( 'type' => 'string' ),
				),
			),
		);
	}
}
