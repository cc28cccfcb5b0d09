//! `bootstrap`: the blueprint as a Lambda function, on a runtime sized to the function's CPU
//! time ([`lambda_blueprint::runtime`]).

use lambda_blueprint::{Blueprint, report_init_error};

fn main() -> Result<(), lambda_runtime::Error> {
    lambda_blueprint::runtime()?.block_on(serve())
}

async fn serve() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let blueprint = match Blueprint::from_env().await {
        Ok(blueprint) => blueprint,
        Err(e) => {
            let message = e.message();
            tracing::error!(error = %message, "start-up failed");
            report_init_error(e.error_type(), &message).await;
            return Err(e.into());
        }
    };
    lambda_blueprint::run(blueprint).await
}
